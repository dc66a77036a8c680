/**
 * The request as route matching reads it (router.ts's RoutableRequest), as one object reused for
 * every request of the thread: matching is synchronous, so a routed request makes no view object
 * and no header closure of its own. The host is reduced from the authority (hostOfAuthority) only
 * when a route asks for it.
 */
import type { ProxyCtx, RequestHead } from "../../l7/index.ts";
import { hostOfAuthority } from "../../net/index.ts";
import type { ClientCertIdentity } from "./client-cert.ts";
import { matchRoute, type RoutableRequest } from "./router.ts";
import type { SnapshotListener, SnapshotRoute } from "../../config/index.ts";

class RouteView implements RoutableRequest {
  req: RequestHead | undefined = undefined;
  method = "";
  path = "";
  query = "";
  cert: ClientCertIdentity | null = null;
  #host: string | undefined = undefined;

  get host(): string {
    return (this.#host ??= hostOfAuthority(this.req!.host));
  }

  header(lowerName: string): string | undefined {
    return this.req!.get(lowerName);
  }

  /** Matches, then lets go of the request (a view must not keep a finished request alive). */
  match(l: SnapshotListener, req: RequestHead, path: string, query: string, cert: ClientCertIdentity | null): SnapshotRoute | undefined {
    this.req = req;
    this.method = req.method;
    this.path = path;
    this.query = query;
    this.cert = cert;
    this.#host = undefined;
    try {
      return matchRoute(l, this);
    } finally {
      this.req = undefined;
      this.cert = null;
    }
  }
}

const view = new RouteView();

/** The first route of `l` the request matches (undefined: the listener's default pool). */
export function matchRequest(l: SnapshotListener, ctx: ProxyCtx<unknown>, path: string, query: string, cert: ClientCertIdentity | null): SnapshotRoute | undefined {
  return view.match(l, ctx.req, path, query, cert);
}
