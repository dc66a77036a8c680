/**
 * What response compression costs (issue 18): one nginx backend serves a 64 KiB text file; wrk
 * -t1 -c64 with `Accept-Encoding` loads, one after another, nginx proxying it (gzip off, then
 * `gzip on` at levels 1 and 6) and a Fulcrum node (no compress, then gzip 1 and 6, br 4, zstd 3).
 * Per run: req/s, p99, and CPU per request of the proxy process (utime + stime from /proc). One
 * worker / one thread each; one run of COMPRESS_SECONDS (5) per row, so figures are rough on a
 * shared machine. Every target is first checked to answer with the expected coding and to
 * decode to the file. Skips when nginx or wrk is missing; every process is stopped by PID.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import { freePort, hasBinary } from "../l4/helpers/peers.ts";
import { envNumber, type Report } from "./harness.ts";
import { spawnChild, startFulcrumChild, waitHttp200, type Child } from "./peers/procs.ts";
import { nginxBackends } from "./peers/configs.ts";
import { parseWrk, type WrkResult } from "./peers/wrk.ts";

const BODY_BYTES = 65_536;

/** Text like a page or a JSON dump: lines with varying numbers (gzip 6 takes it to ~1/5). */
function body(): string {
  let s = "", x = 7;
  for (let i = 0; s.length < BODY_BYTES; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    s += `<li class="item-${i % 17}"><a href="/items/${x % 100000}">item ${i}</a> price ${(x % 9973) / 100}</li>\n`;
  }
  return s.slice(0, BODY_BYTES);
}

interface Row {
  name: string;
  port: number;
  child: Child;
  coding: string | null;
}

function nginxProxy(dir: string, rows: { port: number; level: number }[], backend: number): string {
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${t};`).join(" ");
  const server = (r: { port: number; level: number }) =>
    `  server { listen 127.0.0.1:${r.port}; ${r.level > 0 ? `gzip on; gzip_comp_level ${r.level}; gzip_types text/plain; gzip_min_length 1024; gzip_vary on;` : ""} ` +
    `location / { proxy_pass http://be; proxy_http_version 1.1; proxy_set_header Connection ""; } }`;
  return [
    `daemon off; master_process off; worker_processes 1; pid ${dir}/p.pid; error_log ${dir}/p.err;`,
    "events { worker_connections 4096; }",
    `http { access_log off; keepalive_requests 1000000; ${temp}`,
    `  upstream be { server 127.0.0.1:${backend}; keepalive 128; }`,
    ...rows.map(server),
    "}",
    "",
  ].join("\n");
}

function fulcrumConfig(rows: { name: string; port: number; compress?: object }[], backend: number): string {
  return JSON.stringify({
    listeners: rows.map((r) => ({ name: r.name, protocol: "http", address: `127.0.0.1:${r.port}`, pool: "be", ...(r.compress ? { compress: r.compress } : {}) })),
    pools: [{ name: "be", backends: [{ address: `127.0.0.1:${backend}` }] }],
  });
}

/** utime + stime of `pid` in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100; // USER_HZ is 100 on Linux
}

async function checkRow(r: Row, want: Buffer): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${r.port}/`, { headers: { "accept-encoding": r.coding ?? "gzip" }, decompress: false, signal: AbortSignal.timeout(5000) } as RequestInit);
  const got = Buffer.from(await res.arrayBuffer());
  const coding = res.headers.get("content-encoding");
  const wantCoding = r.coding;
  const plain = coding === "gzip" ? zlib.gunzipSync(got) : coding === "br" ? zlib.brotliDecompressSync(got) : coding === "zstd" ? zlib.zstdDecompressSync(got) : got;
  if (coding !== wantCoding || !plain.equals(want)) throw new Error(`${r.name}: content-encoding ${coding} (want ${wantCoding}), ${plain.length} B decoded`);
}

async function wrk(r: Row, seconds: number): Promise<WrkResult & { cpuUsPerReq: number }> {
  const cpu0 = cpuSeconds(r.child.pid);
  const proc = Bun.spawn(["wrk", "-t1", "-c64", `-d${seconds}s`, "--latency", "-H", `Accept-Encoding: ${r.coding ?? "gzip"}`, `http://127.0.0.1:${r.port}/`], { stdout: "pipe", stderr: "pipe" });
  const guard = setTimeout(() => proc.kill("SIGKILL"), (seconds + 20) * 1000);
  try {
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const w = parseWrk(out + err);
    return { ...w, cpuUsPerReq: ((cpuSeconds(r.child.pid) - cpu0) / w.requests) * 1e6 };
  } finally {
    clearTimeout(guard);
  }
}

export async function run(report: Report): Promise<void> {
  const missing = ["nginx", "wrk"].filter((b) => !hasBinary(b));
  if (missing.length > 0) return console.warn(`skipping compress: ${missing.join(", ")} not installed`);
  const seconds = envNumber("COMPRESS_SECONDS", 5);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-compress-bench-"));
  const children: Child[] = [];
  try {
    const text = body();
    writeFileSync(join(dir, "body"), text);
    const backend = freePort();
    writeFileSync(join(dir, "backend.conf"), nginxBackends(dir, [backend]));
    const be = spawnChild("backend", ["nginx", "-p", dir, "-c", join(dir, "backend.conf")], dir);
    children.push(be);
    await waitHttp200(backend, be);
    const ng = [0, 1, 6].map((level) => ({ port: freePort(), level }));
    writeFileSync(join(dir, "proxy.conf"), nginxProxy(dir, ng, backend));
    const nginx = spawnChild("nginx", ["nginx", "-p", dir, "-c", join(dir, "proxy.conf")], dir);
    children.push(nginx);
    const fl = [
      { name: "plain", port: freePort() },
      { name: "gzip1", port: freePort(), compress: { algorithms: ["gzip"], levels: { gzip: 1 } } },
      { name: "gzip6", port: freePort(), compress: { algorithms: ["gzip"], levels: { gzip: 6 } } },
      { name: "br4", port: freePort(), compress: { algorithms: ["br"], levels: { br: 4 } } },
      { name: "zstd3", port: freePort(), compress: { algorithms: ["zstd"], levels: { zstd: 3 } } },
    ];
    writeFileSync(join(dir, "fulcrum.json"), fulcrumConfig(fl, backend));
    const fulcrum = await startFulcrumChild(join(dir, "fulcrum.json"));
    children.push(fulcrum);
    const rows: Row[] = [
      ...ng.map((r) => ({ name: r.level === 0 ? "nginx plain" : `nginx gzip ${r.level}`, port: r.port, child: nginx, coding: r.level === 0 ? null : "gzip" })),
      ...fl.map((r) => ({ name: `fulcrum ${r.name.replace(/(\d)$/, " $1")}`, port: r.port, child: fulcrum as Child, coding: r.compress ? r.compress.algorithms[0]! : null })),
    ];
    for (const r of rows) await waitHttp200(r.port, r.child);
    const want = Buffer.from(text);
    for (const r of rows) await checkRow(r, want);
    console.log(`  wrk -t1 -c64 -d${seconds}s, 64 KiB text, one worker each, ${navigator.hardwareConcurrency} cores (shared: rough)`);
    for (const r of rows) await wrk(r, 1); // warm-up: JIT, connection pools
    const got = new Map<string, WrkResult & { cpuUsPerReq: number }>();
    for (const r of rows) {
      const w = await wrk(r, seconds);
      got.set(r.name, w);
      console.log(`  ${r.name.padEnd(16)} ${w.rps.toFixed(0).padStart(7)} req/s  p99 ${w.p99Ms.toFixed(2).padStart(7)} ms  CPU ${w.cpuUsPerReq.toFixed(0).padStart(5)} µs/req${w.errors.length ? `  !! ${w.errors.join("; ")}` : ""}`);
      report({ name: `compress 64 KiB ${r.name}`, value: w.rps, unit: "req/s" });
      report({ name: `compress 64 KiB ${r.name} CPU`, value: w.cpuUsPerReq, unit: "µs/req" });
    }
    for (const level of [1, 6]) {
      const f = got.get(`fulcrum gzip ${level}`)!, n = got.get(`nginx gzip ${level}`)!;
      report({ name: `compress gzip ${level}: fulcrum / nginx req/s`, value: f.rps / n.rps, unit: "x", target: "reference" });
      report({ name: `compress gzip ${level}: fulcrum / nginx CPU per request`, value: f.cpuUsPerReq / n.cpuUsPerReq, unit: "x", target: "reference" });
    }
  } finally {
    for (const c of children.reverse()) await c.stop().catch((e: unknown) => console.warn(`stopping ${c.name} (pid ${c.pid}): ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  }
}
