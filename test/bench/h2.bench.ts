/**
 * `npm run bench -- h2`: HTTP/2 from clients to HTTP/1.1 backends, side by side. h2load -c 64
 * -m 10 (h2c by prior knowledge, one thread) against Fulcrum (one process), nginx (`listen ...
 * http2`, one worker) and HAProxy (`bind ... proto h2`, one thread), each proxying to the same three
 * nginx backends (128-byte bodies, upstream keep-alive). Rounds are interleaved (the host pauses
 * its vCPUs now and then: BUN-NOTES) and medians reported; p99 comes from h2load's per-request log.
 * Then the memory an idle HTTP/2 connection costs Fulcrum beyond an HTTP/1.1 one. The machine is
 * shared: the figures are indicative; the lead runs the final ones on a quiet machine.
 * H2_BENCH_BASE=/path/to/another/checkout adds that tree's Fulcrum ("base", e.g. main's) to the
 * interleaved rounds, for a before/after under the same conditions. H2_BENCH_ENV="K=V K2=V2" gives
 * this tree's Fulcrum (not base) those variables, e.g. `BUN_JSC_*` GC knobs, to compare against
 * base; H2_BENCH_VARIANTS="name:K=V,K2=V2;name2:K=V" adds more Fulcrums of this tree, each with its
 * variables, to the same rounds (one run compares several knobs); H2_BENCH_IDLE=0 skips the
 * idle-memory measure.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Report } from "./harness.ts";
import { freePort, hasBinary } from "../l4/helpers/peers.ts";
import { nginxBackends } from "./peers/configs.ts";
import { spawnChild, startFulcrumChild, waitHttp200, type Child } from "./peers/procs.ts";
import { writeBody } from "./peers/side-by-side.ts";
import { idleCostPerConnection } from "../h2/helpers/idle-memory.ts";

const ROUNDS = Number(process.env.H2_BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.H2_BENCH_SECONDS ?? 5);
const BASE = process.env.H2_BENCH_BASE ?? "";
/** "K=V K2=V2" (or comma-separated) as an env record. */
const envOf = (text: string): Record<string, string> => Object.fromEntries(
  text.split(/[\s,]+/).filter((kv) => kv.includes("=")).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const EXTRA_ENV = envOf(process.env.H2_BENCH_ENV ?? "");
const VARIANTS: [string, Record<string, string>][] = (process.env.H2_BENCH_VARIANTS ?? "").split(";").filter((v) => v.includes(":"))
  .map((v) => [v.slice(0, v.indexOf(":")), envOf(v.slice(v.indexOf(":") + 1))]);

interface H2loadResult {
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  failed: number;
}

async function h2load(port: number, seconds: number, dir: string): Promise<H2loadResult> {
  const log = join(dir, `h2load-${port}.log`);
  const p = Bun.spawn(["h2load", "-c", "64", "-m", "10", "-t", "1", "-D", String(seconds), "--warm-up-time=1", `--log-file=${log}`, `http://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  const rps = Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)?.[1] ?? 0);
  const failed = Number(/(\d+) failed, (\d+) errored/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0);
  // tab-separated: start (µs since epoch), status, µs to the end of the response
  const times = readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((l) => Number(l.split("\t")[2]) / 1000).sort((a, b) => a - b);
  const q = (p: number) => times[Math.floor(times.length * p)] ?? Number.NaN;
  return { rps, p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), failed };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function nginxH2(dir: string, port: number, backends: readonly number[]): string {
  return `daemon off; master_process off; worker_processes 1; pid ${dir}/n.pid; error_log ${dir}/n.err;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000; http2_max_requests 1000000; client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/pt;
  upstream pool { ${backends.map((b) => `server 127.0.0.1:${b};`).join(" ")} keepalive 128; }
  server { listen 127.0.0.1:${port} http2; location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
`;
}

function haproxyH2(port: number, backends: readonly number[]): string {
  return `global
  nbthread 1
  maxconn 8000
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fh
  bind 127.0.0.1:${port} proto h2
  default_backend bh
backend bh
  balance roundrobin
  http-reuse always
${backends.map((b, i) => `  server s${i + 1} 127.0.0.1:${b}`).join("\n")}
`;
}

function fulcrumConfig(port: number, backends: readonly number[]): string {
  return JSON.stringify({
    listeners: [{ name: "h2", protocol: "http", address: `127.0.0.1:${port}`, pool: "app" }],
    pools: [{ name: "app", algorithm: "round_robin", backends: backends.map((b) => ({ address: `127.0.0.1:${b}` })) }],
  });
}

/** The Fulcrum of the checkout H2_BENCH_BASE names, on `port` (same config, same launcher settings). */
async function startBase(dir: string, port: number, backends: readonly number[]): Promise<Child> {
  const main = join(BASE, "src", "main.ts");
  if (!existsSync(main)) throw new Error(`H2_BENCH_BASE=${BASE}: no src/main.ts there`);
  writeFileSync(join(dir, "base.json"), fulcrumConfig(port, backends));
  const argv = ["env", "FULCRUM_WASM=release", process.execPath, main, "start", "--admin", "127.0.0.1:0", "--config", join(dir, "base.json"), "--db", ":memory:", "--workers", "1"];
  return spawnChild("base", argv, dir);
}

/** Waits until h2c on `port` answers (a 1-request h2load). */
async function waitH2(port: number, child: Child): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!child.alive()) throw new Error(`${child.name} exited:\n${child.log()}`);
    const p = Bun.spawn(["h2load", "-n", "1", "-c", "1", `http://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "ignore" });
    if ((await new Response(p.stdout).text()).includes("1 succeeded")) return;
    await Bun.sleep(100);
  }
  throw new Error(`${child.name} never answered over h2c on ${port}:\n${child.log()}`);
}

export async function run(report: Report): Promise<void> {
  if (!hasBinary("h2load") || !hasBinary("nginx") || !hasBinary("haproxy")) {
    console.log("  (skipped: h2load, nginx and haproxy are needed)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-h2-bench-"));
  const children: Child[] = [];
  try {
    const backends = [freePort(), freePort(), freePort()];
    writeBody(dir, 128);
    writeFileSync(join(dir, "backends.conf"), nginxBackends(dir, backends));
    const be = spawnChild("backends", ["nginx", "-p", dir, "-c", join(dir, "backends.conf")], dir);
    children.push(be);
    await waitHttp200(backends[0]!, be);
    const ports: Record<string, number> = { fulcrum: freePort(), nginx: freePort(), haproxy: freePort() };
    writeFileSync(join(dir, "fulcrum.json"), fulcrumConfig(ports.fulcrum, backends));
    writeFileSync(join(dir, "nginx.conf"), nginxH2(dir, ports.nginx, backends));
    writeFileSync(join(dir, "haproxy.cfg"), haproxyH2(ports.haproxy, backends));
    const fulcrum = await startFulcrumChild(join(dir, "fulcrum.json"), EXTRA_ENV);
    const nginx = spawnChild("nginx", ["nginx", "-p", dir, "-c", join(dir, "nginx.conf")], dir);
    const haproxy = spawnChild("haproxy", ["haproxy", "-f", join(dir, "haproxy.cfg")], dir);
    children.push(fulcrum, nginx, haproxy);
    const targets: [string, Child][] = [["fulcrum", fulcrum], ["nginx", nginx], ["haproxy", haproxy]];
    const add = (name: string, child: Child) => (targets.push([name, child]), children.push(child));
    if (BASE !== "") add("base", await startBase(dir, (ports.base = freePort()), backends));
    for (const [name, env] of VARIANTS) {
      writeFileSync(join(dir, `${name}.json`), fulcrumConfig((ports[name] = freePort()), backends));
      add(name, await startFulcrumChild(join(dir, `${name}.json`), env, name));
    }
    for (const [name, child] of targets) await waitH2(ports[name]!, child);
    const results: Record<string, H2loadResult[]> = Object.fromEntries(targets.map(([n]) => [n, []]));
    for (const name of Object.keys(results)) await h2load(ports[name]!, 2, dir); // warm-up
    const names = Object.keys(results);
    for (let r = 0; r < ROUNDS; r++) {
      // each round starts one target later: no target always runs right after the same one
      for (const name of [...names.slice(r % names.length), ...names.slice(0, r % names.length)]) {
        const res = await h2load(ports[name]!, SECONDS, dir);
        results[name]!.push(res);
        const ms = (x: number) => x.toFixed(2);
        console.log(`  round ${r + 1} ${name.padEnd(8)} ${res.rps.toFixed(0).padStart(7)} req/s  p50 ${ms(res.p50Ms)}  p90 ${ms(res.p90Ms)}  p99 ${ms(res.p99Ms)} ms  ${res.failed ? `(${res.failed} failed)` : ""}`);
      }
    }
    const rps = (n: string) => median(results[n]!.map((x) => x.rps));
    const p99 = (n: string) => median(results[n]!.map((x) => x.p99Ms));
    for (const n of Object.keys(results)) {
      report({ name: `h2 h2load -c64 -m10 via ${n} (median)`, value: rps(n), unit: "req/s" });
      report({ name: `h2 p99 via ${n} (median)`, value: p99(n), unit: "ms" });
    }
    report({ name: "h2 fulcrum / nginx req/s", value: rps("fulcrum") / rps("nginx"), unit: "ratio", target: ">= 1" });
    report({ name: "h2 fulcrum / haproxy req/s", value: rps("fulcrum") / rps("haproxy"), unit: "ratio", target: ">= 1" });
    report({ name: "h2 fulcrum / nginx p99", value: p99("fulcrum") / p99("nginx"), unit: "ratio", target: "<= 1" });
    report({ name: "h2 fulcrum / haproxy p99", value: p99("fulcrum") / p99("haproxy"), unit: "ratio", target: "<= 1" });
    if (BASE !== "") {
      report({ name: "h2 fulcrum / base req/s", value: rps("fulcrum") / rps("base"), unit: "ratio" });
      report({ name: "h2 fulcrum / base p99", value: p99("fulcrum") / p99("base"), unit: "ratio" });
    }
    for (const [n] of VARIANTS) {
      report({ name: `h2 ${n} / haproxy p99`, value: p99(n) / p99("haproxy"), unit: "ratio" });
      if (BASE !== "") report({ name: `h2 ${n} / base p99`, value: p99(n) / p99("base"), unit: "ratio" });
    }
  } finally {
    for (const c of children.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (process.env.H2_BENCH_IDLE === "0") return;
  const cost = await idleCostPerConnection(1000);
  report({ name: "h2 idle connection RSS beyond an HTTP/1.1 one", value: cost.engine - cost.h1, unit: "KiB", target: "<= 16" });
}
