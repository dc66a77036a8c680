/**
 * Issue 17's large-body tail: an idle keep-alive backend connection must not keep alive the packet
 * its last response head came in. The pool's connections are old in the GC's eyes, so a 64 KiB
 * packet they point at outlived every young collection: RSS grew by ~130 MB under wrk -c64, the
 * page faults came back and fulcrum-http's p99 was 2.5× nginx's with 64 KiB bodies. Here: 32
 * responses of 64 KiB relayed at once (32 backend connections, then idle), and what stays reachable
 * afterwards is measured after a full collection, beside the same run with 128 B bodies.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import type { Socket } from "bun";
import { startProxy, type ProxyServer } from "../../src/l7/index.ts";

const N = 32;
const BIG = 64 * 1024;
const response = (n: number) =>
  Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${n}\r\n\r\n`), Buffer.alloc(n, 0x61)]);
const RESPONSES = { small: response(128), big: response(BIG) };

/** A backend that answers only once N requests wait, so the proxy needs N connections; head and body in one write. */
interface Waiting { s: Socket<{ rest: Buffer | null }>; r: Buffer }
let waiting: Waiting[] = [];
const origin = Bun.listen<{ rest: Buffer | null }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) { s.data = { rest: null }; },
    data(s, d) {
      waiting.push({ s, r: d.includes("/big") ? RESPONSES.big : RESPONSES.small });
      if (waiting.length < N) return;
      for (const w of waiting) send(w.s, w.r);
      waiting = [];
    },
    drain(s) { if (s.data.rest !== null) send(s, s.data.rest); },
  },
});
function send(s: Socket<{ rest: Buffer | null }>, b: Buffer): void {
  const n = Math.max(0, s.write(b));
  s.data.rest = n < b.length ? b.subarray(n) : null;
}

let proxy: ProxyServer;
beforeAll(() => {
  proxy = startProxy({ hooks: { selectUpstream: () => ({ address: `127.0.0.1:${origin.port}` }) } });
});
afterAll(() => {
  proxy.stop(true);
  origin.stop(true);
});

/** N requests at once from curl (its buffers are not in this heap); what stays reachable after a full collection. */
async function round(path: string, bytes: number): Promise<number> {
  const url = `http://127.0.0.1:${proxy.port}${path}`;
  const curl = Bun.spawn(["curl", "-sS", "--max-time", "10", "--parallel", "--parallel-immediate", "--parallel-max", String(N),
    "-w", "%{size_download}\\n", ...Array.from({ length: N }, () => ["-o", "/dev/null", url]).flat()], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(curl.stdout).text();
  expect(await curl.exited).toBe(0);
  expect(out.trim().split("\n")).toEqual(Array.from({ length: N }, () => String(bytes)));
  Bun.gc(true);
  Bun.gc(true);
  return heapStats().extraMemorySize;
}

test("idle backend connections keep no relayed 64 KiB packet reachable", async () => {
  await round("/small", 128);
  const small = await round("/small", 128);
  const big = await round("/big", BIG);
  if (process.env.FULCRUM_VERBOSE) console.log(`reachable after 64 KiB bodies: ${big - small} B more than after 128 B`);
  // before the fix: one packet of ~64 KiB per connection, N × 64 KiB = 2 MiB more than after 128 B
  expect(big - small).toBeLessThan((N * BIG) / 2);
});
