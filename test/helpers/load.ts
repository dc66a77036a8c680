/**
 * Load for tests that watch a node under traffic: a raw HTTP/1.1 backend that answers every
 * request at once (keep-alive, a fixed body), and a keep-alive client that sends a number of
 * requests over a few connections, one at a time on each, with a bound on the whole run.
 */
import type { Socket, TCPSocketListener } from "bun";

/** Answers every request (no body expected) with 200 and `body`, on keep-alive connections. */
export function fixedBackend(body = "ok"): TCPSocketListener<{ buf: string }> {
  const answer = Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => void (s.data = { buf: "" }),
      data(s, d) {
        s.data.buf += d.toString("latin1");
        let end: number;
        while ((end = s.data.buf.indexOf("\r\n\r\n")) >= 0) {
          s.data.buf = s.data.buf.slice(end + 4);
          s.write(answer);
        }
      },
    },
  });
}

/** What a load run saw. */
export interface LoadResult {
  ok: number;
  failed: number;
}

/** One connection sending `n` requests in turn; resolves with the 200s and the rest. */
function oneConnection(port: number, n: number, path: string): Promise<LoadResult> {
  const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: load.test\r\n\r\n`);
  const { promise, resolve } = Promise.withResolvers<LoadResult>();
  const r: LoadResult = { ok: 0, failed: 0 };
  let buf = "";
  const finish = (s?: Socket) => {
    r.failed += n - r.ok - r.failed;
    s?.end();
    resolve(r);
  };
  Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => void s.write(req),
      data(s, d) {
        buf += d.toString("latin1");
        for (;;) {
          const end = buf.indexOf("\r\n\r\n");
          const len = end < 0 ? null : /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
          if (!len || buf.length < end + 4 + Number(len[1])) return;
          if (buf.startsWith("HTTP/1.1 200")) r.ok++;
          else r.failed++;
          buf = buf.slice(end + 4 + Number(len[1]));
          if (r.ok + r.failed === n) return finish(s);
          s.write(req);
        }
      },
      close: () => finish(),
      error: () => finish(),
    },
  }).catch(() => finish());
  return promise;
}

/**
 * `requests` GETs of `path` to 127.0.0.1:`port` over `connections` keep-alive connections (each
 * carrying its share one after another), or over a new connection every `perConnection` requests
 * when that is given; rejects if the run outlasts `timeoutMs`.
 */
export async function keepAliveLoad(port: number, opts: { requests: number; connections: number; perConnection?: number; path?: string; timeoutMs?: number }): Promise<LoadResult> {
  const per = opts.perConnection ?? Math.ceil(opts.requests / opts.connections);
  const total: LoadResult = { ok: 0, failed: 0 };
  let left = opts.requests;
  const lane = async () => {
    while (left > 0) {
      const n = Math.min(per, left);
      left -= n;
      const r = await oneConnection(port, n, opts.path ?? "/");
      total.ok += r.ok;
      total.failed += r.failed;
    }
  };
  const run = Promise.all(Array.from({ length: opts.connections }, lane));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`load not done within ${timeoutMs} ms`)), timeoutMs)));
  try {
    await Promise.race([run, timeout]);
    return total;
  } finally {
    clearTimeout(timer);
  }
}
