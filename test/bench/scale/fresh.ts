/**
 * Latency of fresh requests: each on a new connection (connect, `GET /`, the whole answer, close),
 * one after another with a gap, so they sample the node at random moments (its sweeps over every
 * held connection included).
 */
import { median } from "../tail/rounds.ts";

const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: fresh.local\r\nConnection: close\r\n\r\n");

/** One request on a new connection; resolves with its time in ms, or rejects after `timeoutMs`. */
function once(port: number, timeoutMs: number): Promise<number> {
  const { promise, resolve, reject } = Promise.withResolvers<number>();
  const t0 = performance.now();
  let buf = "";
  const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => void s.write(REQUEST),
      data(s, d) {
        buf += d.toString("latin1");
        const end = buf.indexOf("\r\n\r\n");
        const len = end < 0 ? null : /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
        if (!len || buf.length < end + 4 + Number(len[1])) return;
        clearTimeout(timer);
        if (!buf.startsWith("HTTP/1.1 200")) reject(new Error(`answer: ${buf.slice(0, 40)}`));
        else resolve(performance.now() - t0);
        s.end();
      },
      close: () => reject(new Error("closed before the answer")),
      error: (_s, e) => reject(e),
    },
  }).catch(reject);
  return promise.finally(() => clearTimeout(timer));
}

/** `n` fresh requests `gapMs` apart: p50, p99 and max in ms, and how many failed. */
export async function freshLatency(port: number, n: number, gapMs: number): Promise<{ p50: number; p99: number; max: number; failed: number }> {
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < n; i++) {
    await once(port, 10_000).then((t) => times.push(t), () => failed++);
    await Bun.sleep(gapMs);
  }
  times.sort((a, b) => a - b);
  const p99 = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? NaN;
  return { p50: times.length ? median(times) : NaN, p99, max: times.at(-1) ?? NaN, failed };
}
