/**
 * What the access log says about one request, gathered in onLog only when the listener logs, and
 * only the fields it wants that cost something to get (a header lookup, the wall clock). A request
 * that upgraded its connection (a WebSocket) reaches onLog when the tunnel closes, so its line
 * carries the bytes both ways and the duration of the whole connection.
 */
import type { ProxyCtx } from "../../l7/index.ts";
import type { AccessLog, AccessLogEntry } from "../../obs/index.ts";
import type { RequestState } from "./request-state.ts";
import { verifiedClientCert } from "./access-step.ts";

/** Milliseconds rounded to the microsecond. */
function ms(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * Fills `e` (one object per listener, reused: every field is written each time) for the request
 * in `ctx`, which ended with error `code` (if any) on `backend` (the last attempt's; undefined =
 * none), and writes it to `log`.
 */
export function logRequest(
  log: AccessLog, e: AccessLogEntry, ctx: ProxyCtx<RequestState>, listener: string, code: string | undefined, backend: string | undefined,
): void {
  const s = ctx.user, req = ctx.req;
  e.time = log.wants("time") ? new Date().toISOString() : undefined;
  e.request_id = ctx.requestId;
  e.trace_id = s.trace?.traceId;
  e.listener = listener;
  e.client = ctx.clientAddress;
  e.method = req.method;
  e.host = log.wants("host") ? req.host : undefined;
  e.target = req.target;
  e.path = s.path;
  e.protocol = ctx.httpVersion;
  e.status = ctx.status;
  e.bytes_in = ctx.bytesIn;
  e.bytes_out = ctx.bytesOut;
  e.duration_ms = ms(performance.now() - ctx.startedAt);
  e.route = s.route?.name;
  // the pool the request was for, also when it was refused before one was running (503)
  e.pool = s.rt?.name ?? (s.route ? s.route.pool?.name : s.listener?.pool?.name);
  e.backend = backend;
  e.upstream_status = ctx.res?.status;
  e.upstream_ms = ctx.responseStartedAt > 0 ? ms(ctx.responseStartedAt - ctx.upstreamStartedAt) : undefined;
  e.attempts = ctx.attempt;
  e.retries = Math.max(0, ctx.attempt - 1);
  e.error = code;
  e.user_agent = log.wants("user_agent") ? req.get("user-agent") : undefined;
  e.referer = log.wants("referer") ? req.get("referer") : undefined;
  const cert = s.listener?.clientAuth ? verifiedClientCert(ctx.conn) : undefined;
  e.client_cert_subject = cert?.subject;
  e.client_cert_san = cert && log.wants("client_cert_san") ? cert.sans.map((n) => `${n.kind}:${n.value}`) : undefined;
  e.client_cert_sha256 = cert?.sha256;
  log.write(e);
}

/**
 * The line of a request that never became an exchange (malformed, too large or too slow head):
 * its method, target and id are unknown, and nothing was proxied.
 */
export function logRefused(log: AccessLog, client: string, listener: string, status: number, code: string): void {
  log.write({
    time: log.wants("time") ? new Date().toISOString() : undefined,
    listener, client, status, bytes_in: 0, bytes_out: 0, duration_ms: 0, attempts: 0, retries: 0, error: code,
  });
}
