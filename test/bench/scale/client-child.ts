/**
 * One client process of the scale bench: opens `count` connections to 127.0.0.1:`port`, each from
 * one of `sources` loopback addresses (127.1.x.y, so no single source runs out of ephemeral
 * ports), at most `inflight` opening at a time. Each sends one `GET /` and reads the whole answer,
 * so it was really served end to end, and then sits idle and open. Prints `ready OPENED FAILED MS`
 * once every connection is served or failed, then `closed N` whenever held connections close,
 * and holds them until SIGTERM (the kernel closes them as it exits).
 * Run as `bun client-child.ts '{"port":P,"count":N,"firstSource":S,"sources":K,"inflight":F}'`.
 */
import type { Socket } from "bun";

interface Args {
  port: number;
  count: number;
  firstSource: number;
  sources: number;
  inflight: number;
}

const args = JSON.parse(process.argv[2]!) as Args;
const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: scale.local\r\n\r\n");
const ANSWER_TIMEOUT_MS = 30_000;
const held: Socket<Conn>[] = [];
let closed = 0;

interface Conn {
  buf: string;
  served: boolean;
  settle: (ok: boolean) => void;
}

/** 127.1.x.y for source index i (never .0 or .255 in the last byte). */
function sourceAddress(i: number): string {
  const n = args.firstSource + (i % args.sources);
  return `127.1.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
}

function served(b: string): boolean {
  const end = b.indexOf("\r\n\r\n");
  if (end < 0) return false;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(b.slice(0, end));
  return m !== null && b.length >= end + 4 + Number(m[1]);
}

/** Opens connection `i`; resolves true once it was served (and is held), false if it failed. */
function openOne(i: number): Promise<boolean> {
  const { promise, resolve } = Promise.withResolvers<boolean>();
  let done = false;
  const timer = setTimeout(() => settle(false), ANSWER_TIMEOUT_MS);
  function settle(ok: boolean): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    resolve(ok);
  }
  const data: Conn = { buf: "", served: false, settle };
  // localAddress works on Bun.connect but is missing from its types.
  const opts = { hostname: "127.0.0.1", port: args.port, localAddress: sourceAddress(i), data, socket: handlers };
  Bun.connect<Conn>(opts as unknown as Parameters<typeof Bun.connect<Conn>>[0]).catch(() => settle(false));
  return promise;
}

const handlers = {
  open: (s: Socket<Conn>) => void s.write(REQUEST),
  data(s: Socket<Conn>, d: Buffer) {
    if (s.data.served) return;
    s.data.buf += d.toString("latin1");
    if (!served(s.data.buf)) return;
    const ok = s.data.buf.startsWith("HTTP/1.1 200");
    s.data.served = ok;
    s.data.buf = "";
    if (ok) held.push(s);
    else s.end();
    s.data.settle(ok);
  },
  close(s: Socket<Conn>) {
    if (s.data.served) closed++;
    s.data.settle(false);
  },
  error() {},
};

const t0 = performance.now();
let next = 0, opened = 0, failed = 0;
async function lane(): Promise<void> {
  while (next < args.count) {
    const i = next++;
    if (await openOne(i)) opened++;
    else failed++;
  }
}
await Promise.all(Array.from({ length: Math.max(1, args.inflight) }, lane));
console.log(`ready ${opened} ${failed} ${(performance.now() - t0).toFixed(0)}`);
let reported = 0;
setInterval(() => {
  if (closed === reported) return;
  reported = closed;
  console.log(`closed ${closed}`);
}, 1000);
process.on("SIGTERM", () => process.exit(0));
