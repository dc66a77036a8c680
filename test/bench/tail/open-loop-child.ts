/**
 * An open-loop HTTP/1.1 load generator (wrk2's idea): requests are due at a fixed rate whatever
 * happens to the answers, and each one's latency runs from when it was due, not from when it could
 * be sent. A stall in the server then shows up as the queue of requests that waited behind it,
 * instead of being hidden by a closed loop that simply stops asking (coordinated omission).
 *
 * Run as `bun open-loop-child.ts PORT RATE SECONDS CONNECTIONS`; prints one JSON line:
 * {sent, completed, errors, p50, p99, p999, max (ms), lagP99, lagMax (ms: how late the generator
 * itself dispatched), seconds}. Keep-alive connections carry one request at a time; requests due
 * while every connection is busy wait in a queue, their clock already running.
 */
import type { Socket } from "bun";

const [port, rate, seconds, connections] = process.argv.slice(2).map(Number) as [number, number, number, number];
if (!(port > 0 && rate > 0 && seconds > 0 && connections > 0)) throw new Error("usage: open-loop-child.ts PORT RATE SECONDS CONNECTIONS");

const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: bench.local\r\n\r\n");
const total = Math.round(rate * seconds);
const intervalMs = 1000 / rate;
/** Due time of each request, then its latency (ms), by index. */
const due = new Float64Array(total);
const latency = new Float64Array(total);
const lag = new Float64Array(total);
const waiting: number[] = [];
const idle: Socket<Conn>[] = [];
let completed = 0, errors = 0, sent = 0;

interface Conn {
  /** Index of the request in flight, -1 when idle. */
  req: number;
  buf: string;
}

/** Length of the first full response in `b` (head + Content-Length body), or -1 if incomplete. */
function responseLength(b: string): number {
  const end = b.indexOf("\r\n\r\n");
  if (end < 0) return -1;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(b.slice(0, end));
  if (!m) throw new Error(`response without Content-Length: ${b.slice(0, end)}`);
  const len = end + 4 + Number(m[1]);
  return b.length >= len ? len : -1;
}

function send(s: Socket<Conn>, i: number): void {
  s.data.req = i;
  s.write(REQUEST);
}

function onAnswer(s: Socket<Conn>, ok: boolean): void {
  const i = s.data.req;
  latency[i] = performance.now() - due[i]!;
  completed++;
  if (!ok) errors++;
  s.data.req = -1;
  const next = waiting.shift();
  if (next !== undefined) send(s, next);
  else idle.push(s);
}

const handlers = {
  data(s: Socket<Conn>, d: Buffer) {
    s.data.buf += d.toString("latin1");
    const len = responseLength(s.data.buf);
    if (len < 0) return;
    const ok = s.data.buf.startsWith("HTTP/1.1 200");
    s.data.buf = s.data.buf.slice(len);
    onAnswer(s, ok);
  },
  close(s: Socket<Conn>) {
    if (s.data.req >= 0) onAnswer(s, false);
    const k = idle.indexOf(s);
    if (k >= 0) idle.splice(k, 1);
  },
  error() {},
};

for (let c = 0; c < connections; c++) {
  idle.push(await Bun.connect<Conn>({ hostname: "127.0.0.1", port, data: { req: -1, buf: "" }, socket: handlers }));
  idle.at(-1)!.setNoDelay(true);
}

const t0 = performance.now() + 5;
for (let i = 0; i < total; i++) due[i] = t0 + i * intervalMs;
const { promise: finished, resolve } = Promise.withResolvers<void>();
const ticker = setInterval(() => {
  const now = performance.now();
  while (sent < total && due[sent]! <= now) {
    lag[sent] = now - due[sent]!;
    const s = idle.pop();
    if (s) send(s, sent);
    else waiting.push(sent);
    sent++;
  }
  if (completed === total) resolve();
}, 1);
// Answers still missing a while after the last was due count as errors (their latency stays 0 and is excluded).
const deadline = setTimeout(resolve, seconds * 1000 + 10_000);
await finished;
clearInterval(ticker);
clearTimeout(deadline);

const done = Array.from(latency.subarray(0, total)).filter((x, i) => i < sent && x > 0).sort((a, b) => a - b);
const lags = Array.from(lag.subarray(0, sent)).sort((a, b) => a - b);
const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!);
console.log(
  JSON.stringify({
    sent,
    completed,
    errors: errors + (total - completed),
    p50: pct(done, 0.5),
    p99: pct(done, 0.99),
    p999: pct(done, 0.999),
    max: done.at(-1) ?? NaN,
    lagP99: pct(lags, 0.99),
    lagMax: lags.at(-1) ?? NaN,
    seconds,
  }),
);
process.exit(0);
