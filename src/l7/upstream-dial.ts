/**
 * Opening upstream connections: the one shared Bun socket handler, the connect timeout, TLS
 * towards the backend, and the pool key and address parsing the pool uses.
 */
import type { SocketHandler } from "bun";
import { LbError } from "../errors.ts";
import type { Upstream, UpstreamTls } from "./hooks.ts";
import { ConnState, type UpstreamConn } from "./upstream-conn.ts";

/** One shared handler object for every upstream socket: no closures per connection. */
const HANDLERS: SocketHandler<UpstreamConn> = {
  open: (s) => s.data.onOpen(s),
  data: (s, d) => s.data.onData(d as Buffer),
  drain: (s) => s.data.writer.flush(),
  end: (s) => s.data.onClosed(),
  close: (s, err) => s.data.onClosed(err),
  error: (s, err) => s.data.onClosed(err),
  connectError: (s, err) => s.data.fail(connectFailed(s.data.address, err)),
};

function connectFailed(address: string, cause: unknown): LbError {
  return new LbError("UPSTREAM_CONNECT_FAILED", `cannot connect to ${address}`, { retryable: true, cause });
}

/** Connections are shared per address, protocol, and TLS setting (name, CA, verification) when TLS is on. */
export function poolKey(t: string | Upstream): string {
  if (typeof t === "string") return t;
  if (t.poolKey !== undefined) return t.poolKey;
  const base = t.protocol === undefined ? t.address : `${t.address}|${t.protocol}`;
  return t.tls ? `${base}|tls|${t.tls.key ?? t.tls.serverName ?? ""}` : base;
}

/** "host:port" or "[v6]:port" → hostname and port. */
export function splitAddress(address: string): { hostname: string; port: number } {
  const i = address.lastIndexOf(":");
  const host = address.slice(0, i);
  const port = Number(address.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LbError("CONFIG_INVALID", `bad backend address ${address}`);
  }
  return { hostname: host.startsWith("[") ? host.slice(1, -1) : host, port };
}

/** Connects `conn` (already counted by its pool) to its address; failures reach it as `fail`. */
export function dial(conn: UpstreamConn, tls: UpstreamTls | undefined, timeoutMs: number): void {
  const address = conn.address;
  let target: { hostname: string; port: number };
  try {
    target = splitAddress(address);
  } catch (e) {
    queueMicrotask(() => conn.fail(e as LbError));
    return;
  }
  conn.timer = setTimeout(() => {
    conn.fail(new LbError("UPSTREAM_TIMEOUT", `connect to ${address} timed out`, { retryable: true }));
  }, timeoutMs);
  const tlsOptions = tls && { serverName: tls.serverName ?? target.hostname, ca: tls.ca, rejectUnauthorized: tls.verify !== false };
  Bun.connect<UpstreamConn>({ ...target, data: conn, socket: HANDLERS, ...(tlsOptions ? { tls: tlsOptions } : {}) }).catch((err: unknown) => {
    if (conn.state === ConnState.Connecting) conn.fail(connectFailed(address, err));
  });
}
