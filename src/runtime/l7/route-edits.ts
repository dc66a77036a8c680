/**
 * What a route adds to a request or response (header edits, built once per route) and the replies
 * it makes itself (redirects). Split from l7-hooks.ts, which applies them per request.
 */
import type { SnapshotHeaderOps, SnapshotListener, SnapshotRoute } from "../../config/index.ts";
import type { ProxyCtx, ProxyReply } from "../../l7/index.ts";
import type { RequestState } from "./request-state.ts";
import { hostOfAuthority } from "../../net/index.ts";

type Ctx = ProxyCtx<RequestState>;

function headerLines(ops: SnapshotHeaderOps | undefined): string {
  if (!ops) return "";
  let s = "";
  for (const h of ops.set) s += `${h.name}: ${h.value}\r\n`;
  for (const h of ops.add) s += `${h.name}: ${h.value}\r\n`;
  return s;
}

/** A route's header edits as the engine takes them, built once per route (snapshots are immutable). */
interface RouteEdits {
  requestLines: string;
  requestDrop: string[] | null;
  responseLines: string;
  responseDrop: string[] | null;
}
const routeEdits = new WeakMap<SnapshotRoute, RouteEdits>();
export function editsOf(route: SnapshotRoute): RouteEdits {
  let e = routeEdits.get(route);
  if (!e) {
    e = {
      requestLines: headerLines(route.requestHeaders),
      requestDrop: droppedNames(route.requestHeaders),
      responseLines: headerLines(route.responseHeaders),
      responseDrop: droppedNames(route.responseHeaders),
    };
    routeEdits.set(route, e);
  }
  return e;
}

function droppedNames(ops: SnapshotHeaderOps | undefined): string[] | null {
  if (!ops || (ops.remove.length === 0 && ops.set.length === 0)) return null;
  return [...ops.remove, ...ops.set.map((h) => h.name)];
}

export function redirectReply(ctx: Ctx, l: SnapshotListener, r: NonNullable<RequestState["route"]>["redirect"] & object): ProxyReply {
  const scheme = r.scheme ?? ctx.proto;
  const host = r.host ?? hostOfAuthority(ctx.req.host || l.host);
  const port = r.port !== undefined && r.port !== (scheme === "https" ? 443 : 80) ? `:${r.port}` : "";
  // From the split target, not req.target: an absolute-form request (RFC 9112 §3.2.2) keeps its path and query.
  const q = ctx.user.query;
  const location = `${scheme}://${host}${port}${ctx.user.path}${q === "" ? "" : `?${q}`}`;
  return { status: r.status, fields: { location }, body: "" };
}
