/**
 * A client that keeps ONE keep-alive connection and sends GETs on it back to back for a bounded
 * time, so a test sees both failed requests and a connection dropped under it (which fetch's
 * connection pool would hide by reconnecting). Responses must carry Content-Length.
 */
import type { Socket } from "bun";

export interface KeepAliveResult {
  /** Complete responses received, by status. */
  statuses: Map<number, number>;
  /** Response bodies in order. */
  bodies: string[];
  /** Response heads in order (lower-cased text), for header checks. */
  heads: string[];
  /** Set when the connection closed or failed before the run ended. */
  dropped?: string;
}

/** Runs GET `path` on one connection to 127.0.0.1:`port` for `durationMs` (at most `maxRequests`). */
export function keepAliveRun(port: number, path: string, durationMs: number, maxRequests = 20_000): Promise<KeepAliveResult> {
  const out: KeepAliveResult = { statuses: new Map(), bodies: [], heads: [] };
  const t0 = performance.now();
  let buf = Buffer.alloc(0);
  let finished = false;
  return new Promise((resolve) => {
    const finish = (s: Socket<undefined> | undefined, dropped?: string) => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      if (dropped) out.dropped = dropped;
      s?.end();
      resolve(out);
    };
    // A response that never comes is a failure too, not a hang.
    const guard = setTimeout(() => finish(undefined, "no response within 5 s of the run's end"), durationMs + 5000);
    const send = (s: Socket<undefined>) => {
      if (performance.now() - t0 >= durationMs || out.bodies.length >= maxRequests) return finish(s);
      s.write(`GET ${path} HTTP/1.1\r\nhost: test\r\n\r\n`);
    };
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => send(s),
        data(s, d) {
          buf = Buffer.concat([buf, d]);
          for (;;) {
            const end = buf.indexOf("\r\n\r\n");
            if (end < 0) return;
            const head = buf.subarray(0, end).toString("latin1").toLowerCase();
            const m = /\r\ncontent-length:\s*(\d+)/.exec(head);
            if (!m) return finish(s, `response without content-length: ${head.slice(0, 200)}`);
            const total = end + 4 + Number(m[1]);
            if (buf.length < total) return;
            const status = Number(head.split(" ")[1]);
            out.statuses.set(status, (out.statuses.get(status) ?? 0) + 1);
            out.heads.push(head);
            out.bodies.push(buf.subarray(end + 4, total).toString("latin1"));
            buf = buf.subarray(total);
            if (/\r\nconnection:\s*close/.test(head)) return finish(s, "server answered connection: close");
            send(s);
          }
        },
        close: () => finish(undefined, `connection closed after ${out.bodies.length} responses`),
        error: (_s, e) => finish(undefined, `connection error: ${e.message}`),
        connectError: (_s, e) => finish(undefined, `connect error: ${e.message}`),
      },
    });
  });
}
