/**
 * L7 engine figures: codec throughput on a typical 300-byte GET head, and (when wrk is installed)
 * loopback req/s straight to a backend vs through the engine, alternating runs and reporting
 * medians because the 2 shared cores are noisy. The backend runs in its own process; the engine
 * runs in this one, exactly as a worker would.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { H, HOP_BY_HOP, RequestParser, buildRequestHead, type RequestHead } from "../../src/http/index.ts";
import { startProxy } from "../../src/l7/index.ts";
import { emitUpstreamHead, emitUpstreamHeadPieces } from "../../src/l7/forwarded.ts";
import type { ProxyCtx } from "../../src/l7/hooks.ts";
import { RangeQueue } from "../../src/l7/range-queue.ts";
import { nsPerOp, type Report } from "./harness.ts";

const HEAD = Buffer.from(
  "GET /api/v1/items?page=2&sort=desc HTTP/1.1\r\nHost: shop.example.com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0\r\n" +
  "Accept: application/json\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nConnection: keep-alive\r\n" +
  "Cookie: session=4f1c2a9e8b7d\r\nCache-Control: no-cache\r\n\r\n", "latin1");

/** A keep-alive responder with a 128-byte body, on Bun.listen, answering pipelined requests too. */
const BACKEND = `
const body = "x".repeat(128);
const resp = Buffer.from("HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 128\\r\\n\\r\\n" + body);
const srv = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data(s, d) {
  let i = -1; while ((i = d.indexOf("\\r\\n\\r\\n", i + 1)) >= 0) s.write(resp);
} } });
console.log(srv.port);`;

function parserFigures(report: Report): void {
  let last: RequestHead | null = null;
  const p = new RequestParser({ onHead: (h) => void (last = h), onBody() {}, onEnd() {} });
  const ns = nsPerOp((n) => {
    for (let i = 0; i < n; i++) p.feed(HEAD);
  }, 300_000);
  report({ name: `l7 parse ${HEAD.length}-byte GET head`, value: 1e9 / ns, unit: "req/s" });
  const head = last!;
  const mask = HOP_BY_HOP | (1 << H.X_FORWARDED_FOR);
  const extra = "x-forwarded-for: 10.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: shop.example.com\r\n";
  const nsSer = nsPerOp((n) => {
    for (let i = 0; i < n; i++) buildRequestHead(head, mask, extra, null);
  }, 300_000);
  report({ name: "l7 serialise upstream head (drop hop-by-hop, add X-F-*)", value: 1e9 / nsSer, unit: "heads/s" });
  upstreamHeadFigures(report, head);
}

/**
 * The HTTP/1.1 upstream head as a node sends it (identity lines, a generated X-Request-Id): one
 * pass into the shared arena, one range to write, against piece by piece into a queue and the
 * writer's gather of the pieces into its scratch (what a corked writer did per request before).
 */
function upstreamHeadFigures(report: Report, head: RequestHead): void {
  const ctx = { req: head, dropRequestFields: null, upstreamHost: null, trustForwarded: false, upstreamTarget: null, addRequestFields: "" } as unknown as ProxyCtx<unknown>;
  const identity = "x-forwarded-for: 10.0.0.1\r\nx-forwarded-proto: http\r\nforwarded: for=10.0.0.1;proto=http\r\n";
  const id = { idMs: 0x0123456789a, idSeq: 0x123, idHi: 0xabcdef01, idLo: 0x23456789 };
  const q = new RangeQueue(), scratch = Buffer.allocUnsafe(64 * 1024), idBuf = Buffer.allocUnsafe(36);
  const onePass = nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      emitUpstreamHead(ctx, identity, "10.0.0.2:80", id, idBuf, null, q);
      q.clear();
    }
  }, 300_000);
  const pieces = nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      emitUpstreamHeadPieces(ctx, identity, "10.0.0.2:80", id, idBuf, null, q);
      q.copyTo(scratch);
      q.clear();
    }
  }, 300_000);
  report({ name: "l7 upstream head, one pass into the arena", value: onePass, unit: "ns" });
  report({ name: "l7 upstream head, piece by piece + gather", value: pieces, unit: "ns" });
}

interface WrkResult {
  rps: number;
  p99Ms: number;
}

async function wrk(port: number, seconds: number): Promise<WrkResult> {
  const p = Bun.spawn(["wrk", "-t2", "-c64", `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const m = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99Ms = m ? Number(m[1]) * (m[2] === "us" ? 1e-3 : m[2] === "s" ? 1e3 : 1) : Number.NaN;
  return { rps, p99Ms };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** A free loopback port (bound then released: good enough for a benchmark). */
function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** nginx as a reverse proxy (1 worker, upstream keep-alive) to the same backend, when installed. */
async function startNginx(backendPort: number): Promise<{ port: number; stop: () => void } | null> {
  if (!Bun.which("nginx")) return null;
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-l7-nginx-"));
  const port = freePort();
  writeFileSync(join(dir, "nginx.conf"), `daemon off; master_process off; worker_processes 1; pid ${dir}/n.pid; error_log ${dir}/n.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream b { server 127.0.0.1:${backendPort}; keepalive 128; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`);
  const proc = Bun.spawn(["nginx", "-p", dir, "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "ignore" });
  for (let i = 0; i < 50; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status, () => 0)) === 200) break;
    await Bun.sleep(100);
  }
  return { port, stop: () => { proc.kill(); rmSync(dir, { recursive: true, force: true }); } };
}

async function loopbackFigures(report: Report): Promise<void> {
  if (!Bun.which("wrk")) return;
  const backend = Bun.spawn([process.execPath, "-e", BACKEND], { stdout: "pipe" });
  let nginx: Awaited<ReturnType<typeof startNginx>> = null;
  try {
    const reader = backend.stdout.getReader();
    const port = Number(new TextDecoder().decode((await reader.read()).value).trim());
    const proxy = startProxy({ hooks: { selectUpstream: () => ({ address: `127.0.0.1:${port}` }) } });
    nginx = await startNginx(port);
    const rounds = Number(process.env.L7_BENCH_ROUNDS ?? 3), secs = Number(process.env.L7_BENCH_SECONDS ?? 3);
    const direct: WrkResult[] = [], through: WrkResult[] = [], viaNginx: WrkResult[] = [];
    await wrk(proxy.port, 1); // warm-up: JIT and upstream pool
    for (let i = 0; i < rounds; i++) {
      direct.push(await wrk(port, secs));
      through.push(await wrk(proxy.port, secs));
      if (nginx) viaNginx.push(await wrk(nginx.port, secs));
    }
    proxy.stop(true);
    const d = median(direct.map((r) => r.rps)), t = median(through.map((r) => r.rps));
    report({ name: "l7 wrk -c64 direct to backend (median)", value: d, unit: "req/s" });
    report({ name: "l7 wrk -c64 through the engine (median)", value: t, unit: "req/s" });
    report({ name: "l7 engine / direct", value: t / d, unit: "ratio", target: "> nginx's (0.38-0.42 in BUN-NOTES)" });
    report({ name: "l7 p99 direct (median)", value: median(direct.map((r) => r.p99Ms)), unit: "ms" });
    report({ name: "l7 p99 through the engine (median)", value: median(through.map((r) => r.p99Ms)), unit: "ms" });
    if (viaNginx.length > 0) {
      const n = median(viaNginx.map((r) => r.rps));
      report({ name: "l7 wrk -c64 through nginx (median)", value: n, unit: "req/s" });
      report({ name: "l7 engine / nginx", value: t / n, unit: "ratio", target: ">= 1.2" });
      report({ name: "l7 p99 through nginx (median)", value: median(viaNginx.map((r) => r.p99Ms)), unit: "ms" });
    }
  } finally {
    nginx?.stop();
    backend.kill();
  }
}

export async function run(report: Report): Promise<void> {
  parserFigures(report);
  await loopbackFigures(report);
}
