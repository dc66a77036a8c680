/**
 * The access steps of an L7 listener, called by name from l7-hooks.ts:
 * - per connection (onConnOpen/onConnClose): max_connections_per_client counts the connection
 *   against its client, or marks it over the limit;
 * - `connectionStep`, first in onRequest: what refuses the whole connection, each answered and
 *   then closed: over its client's limit (429 TOO_MANY_CONNECTIONS), an address the listener's
 *   access list denies (403 ACCESS_DENIED), an invalid client certificate (403 CLIENT_CERT_INVALID);
 * - `routeAccessStep`, once a route matched: its access list (403 ACCESS_DENIED, keep-alive), on
 *   the X-Forwarded-For client when the peer is a trusted proxy;
 * - `clientCertStep`, for a proxied request: the verified certificate in x-forwarded-client-cert.
 * A listener or route without these settings pays one property test per request for each.
 */
import type { SnapshotHolder, SnapshotListener, SnapshotRoute } from "../../config/index.ts";
import { LbError, type ErrorCode } from "../../errors.ts";
import { errorReply, type ConnCtx, type ProxyCtx, type ProxyHooks, type ProxyReply } from "../../l7/index.ts";
import { L7_TRACKED_CLIENTS, type ClientHold, type ClientLimits } from "../listeners/client-limits.ts";
import { listenerOf } from "../listeners/listener-lookup.ts";
import type { AccessCounters } from "../stats/access-counters.ts";
import type { ListenerCounters } from "../stats/listener-counters.ts";
import { certRefusalReason, clientCertIdentity, type ClientCertIdentity } from "./client-cert.ts";
import { forwardedClient } from "./forwarded-client.ts";

/** What an L7 connection carries for these steps (its ConnCtx.slot). */
export class ConnPolicy {
  /** Its place in max_connections_per_client's count. */
  hold: ClientHold | undefined = undefined;
  /** It opened over its client's limit: the first request gets 429 and the connection closes. */
  overLimit = false;
  /** The client certificate; undefined until first read (once per connection). */
  cert: ClientCertIdentity | null | undefined = undefined;
}

function policyOf(conn: ConnCtx): ConnPolicy {
  return (conn.slot ??= new ConnPolicy()) as ConnPolicy;
}

/** The connection's client certificate (null: none, or not TLS), read from the socket once. */
export function clientCertOf(conn: ConnCtx): ClientCertIdentity | null {
  const p = policyOf(conn);
  if (p.cert === undefined) p.cert = clientCertIdentity(conn.tlsPeer());
  return p.cert;
}

/** onConnOpen / onConnClose for listener `name`: max_connections_per_client. */
export function connectionHooks(name: string, holder: SnapshotHolder, limits: ClientLimits, counters: ListenerCounters): Pick<ProxyHooks, "onConnOpen" | "onConnClose"> {
  return {
    onConnOpen(conn) {
      const limit = listenerOf(holder.current(), name)?.maxConnectionsPerClient;
      if (limit === undefined) return;
      const v = limits.acquire(name, L7_TRACKED_CLIENTS, conn.clientAddress, limit);
      if (v === "untracked") return void counters.clientLimitUntracked++;
      const p = policyOf(conn);
      if (v !== "over") return void (p.hold = v);
      p.overLimit = true;
      counters.clientLimitRefused++;
    },
    onConnClose(conn) {
      (conn.slot as ConnPolicy | undefined)?.hold?.release();
    },
  };
}

/** A reply that also closes the connection (HTTP/2: GOAWAY once its streams in flight are answered). */
function refuseConnection(ctx: ProxyCtx<unknown>, code: ErrorCode, message: string): ProxyReply {
  const err = new LbError(code, message);
  ctx.error = err;
  return { ...errorReply(err), closeConnection: true };
}

/**
 * What refuses the connection a request came on; null lets it go on. Call only when the
 * connection has policy state or the listener has `access` or `clientAuth`.
 */
export function connectionStep(ctx: ProxyCtx<unknown>, l: SnapshotListener, counters: ListenerCounters): ProxyReply | null {
  const p = ctx.conn.slot as ConnPolicy | undefined;
  if (p?.overLimit) return refuseConnection(ctx, "TOO_MANY_CONNECTIONS", "too many connections from this client");
  if (l.access !== undefined && !l.access.allows(ctx.clientAddress)) {
    counters.accessDenied++;
    return refuseConnection(ctx, "ACCESS_DENIED", "client address not allowed");
  }
  if (l.clientAuth === undefined) return null;
  const fresh = (ctx.conn.slot as ConnPolicy | undefined)?.cert === undefined;
  const cert = clientCertOf(ctx.conn);
  if (cert === null || cert.verified) return null;
  if (fresh) counters.refuseCert(certRefusalReason(cert.verifyError) ?? "invalid");
  return refuseConnection(ctx, "CLIENT_CERT_INVALID", `client certificate not valid: ${cert.verifyError ?? "not verified"}`);
}

/** A route's access list on the request's client; null when served. Call only for a route with `access`. */
export function routeAccessStep(ctx: ProxyCtx<unknown>, l: SnapshotListener, route: SnapshotRoute, counters: AccessCounters): ProxyReply | null {
  const client = ctx.trustForwarded ? forwardedClient(ctx.req, ctx.clientAddress, l.trustedProxies) : ctx.clientAddress;
  if (route.access!.allows(client)) return null;
  counters.routeDenied(l.name, route.name);
  return { status: 403, errorCode: "ACCESS_DENIED", body: "ACCESS_DENIED\n" };
}

/** A verified client certificate goes upstream as x-forwarded-client-cert. Call only when the listener has `clientAuth`. */
export function clientCertStep(ctx: ProxyCtx<unknown>): void {
  const cert = clientCertOf(ctx.conn);
  if (cert?.verified) ctx.addRequestFields += cert.xfccLine;
}

/** The connection's verified client certificate, for the access log (undefined: none, or not verified). */
export function verifiedClientCert(conn: ConnCtx): ClientCertIdentity | undefined {
  const cert = (conn.slot as ConnPolicy | undefined)?.cert;
  return cert?.verified ? cert : undefined;
}
