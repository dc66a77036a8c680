/**
 * A raw HTTP/1.1 backend on 127.0.0.1:0 for probe tests: it counts connections opened and closed,
 * records every request head, and lets each test answer a request by writing to the socket
 * itself (any framing, split packets, silence, closes).
 */
import type { Socket, TCPSocketListener } from "bun";
import { isLbError } from "../../src/errors.ts";
import type { CheckTarget, HealthCheck } from "../../src/health/index.ts";

type Conn = { buf: string; id: number };

/** How a test answers one request head (`n` counts requests on this connection from 1). */
export type Responder = (s: Socket<Conn>, head: string, n: number) => void;

export interface RawOrigin {
  readonly target: CheckTarget;
  /** Connections accepted / closed so far. */
  readonly opened: number;
  readonly closed: number;
  /** Every request head received, with the connection id (1-based) it came on. */
  readonly requests: { conn: number; head: string }[];
  respond: Responder;
  stop(): void;
}

/** Starts a raw origin that answers with `respond` (changeable later). */
export function rawOrigin(respond: Responder): RawOrigin {
  let opened = 0;
  let closed = 0;
  const perConn = new Map<number, number>();
  const requests: { conn: number; head: string }[] = [];
  const origin = {
    respond,
    requests,
    get opened() {
      return opened;
    },
    get closed() {
      return closed;
    },
  } as RawOrigin & { respond: Responder };
  const listener: TCPSocketListener<Conn> = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "", id: ++opened };
      },
      data(s, d) {
        s.data.buf += d.toString("latin1");
        let end: number;
        while ((end = s.data.buf.indexOf("\r\n\r\n")) >= 0) {
          const head = s.data.buf.slice(0, end + 4);
          s.data.buf = s.data.buf.slice(end + 4);
          requests.push({ conn: s.data.id, head });
          const n = (perConn.get(s.data.id) ?? 0) + 1;
          perConn.set(s.data.id, n);
          origin.respond(s, head, n);
        }
      },
      close() {
        closed++;
      },
      error() {},
    },
  });
  Object.assign(origin, {
    target: { key: `127.0.0.1:${listener.port}`, host: "127.0.0.1", port: listener.port },
    stop: () => listener.stop(true),
  });
  return origin;
}

/** Runs one probe with a timeout; returns undefined on a pass, else the error code and message. */
export async function probe(check: HealthCheck, target: CheckTarget, timeoutMs = 500): Promise<string | undefined> {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    await check.check(target, ctl.signal);
    return undefined;
  } catch (err) {
    return isLbError(err) ? `${err.code}: ${err.message}` : String(err);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `cond` every 5 ms; throws after `timeoutMs`. */
export async function until(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

/** A complete response with a Content-Length body. */
export function ok(body = "ok", status = "200 OK", extra = ""): string {
  return `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}
