/**
 * The dashboard's own cost (issue 16: with the page open, the node's req/s under wrk stays at
 * least 0.98× of without). A node in its own process (http listener → one keep-alive backend, its
 * own process too) takes wrk -t1 -c64 in alternating rounds: with no page, with the dashboard
 * open in headless Chromium on the Overview (redrawing every second), and with the page's exact
 * API calls (status + the newest history seconds, once a second) made without a browser, which is
 * what the node itself serves for an open page wherever the browser runs. Also the node's CPU time
 * per refresh, measured at idle: what the page takes from the node each second, whatever the load.
 * Env: DASHBOARD_BENCH_ROUNDS (6), DASHBOARD_BENCH_SECONDS (5). Skips without wrk or chromium.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { launch, open, CHROMIUM } from "../admin/ui/helpers/browser.ts";
import { freePort, hasBinary } from "../l4/helpers/peers.ts";
import { BackendStats } from "../../src/runtime/index.ts";
import { StatsHistory, type HistorySource } from "../../src/runtime/stats/history.ts";
import { LatencyCounts } from "../../src/runtime/stats/latency.ts";
import { TrafficStats } from "../../src/runtime/stats/traffic-stats.ts";
import { nsPerOp, type Report } from "./harness.ts";
import { spawnChild, startFulcrumChild, waitHttp200, type Child } from "./peers/procs.ts";
import { runWrk } from "./peers/wrk.ts";

/** A keep-alive responder with a 128-byte body (as l7.bench.ts), answering pipelined requests too. */
const BACKEND = (port: number) => `
const resp = Buffer.from("HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 128\\r\\n\\r\\n" + "x".repeat(128));
Bun.listen({ hostname: "127.0.0.1", port: ${port}, socket: { data(s, d) {
  let i = -1; while ((i = d.indexOf("\\r\\n\\r\\n", i + 1)) >= 0) s.write(resp);
} } });`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** CPU time (user + system) `pid` has used so far, in ms, from /proc/PID/stat (ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * The node's CPU time per page refresh (status + newest history), at idle so nothing else counts:
 * `n` refreshes back to back, CPU before and after. Load-independent, unlike req/s on a shared box.
 */
async function cpuPerRefresh(pid: number, admin: string, n = 300): Promise<number> {
  const refresh = () => Promise.all([fetch(`${admin}/v1/status`), fetch(`${admin}/v1/stats/history?seconds=3`)].map((p) => p.then((r) => r.arrayBuffer())));
  for (let i = 0; i < 50; i++) await refresh(); // warm-up: the JIT's work is not the page's cost
  const before = cpuMs(pid);
  for (let i = 0; i < n; i++) await refresh();
  return (cpuMs(pid) - before) / n;
}

/** What an open Overview asks the node each second, made from here: resolves the node-side ms per call pair. */
function replayPage(admin: string): { stop(): Promise<number[]> } {
  let running = true;
  const times: number[] = [];
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await Promise.all([fetch(`${admin}/v1/status`), fetch(`${admin}/v1/stats/history?seconds=3`)].map((p) => p.then((r) => r.arrayBuffer())));
      times.push(performance.now() - t0);
      await Bun.sleep(1000 - Math.min(900, performance.now() - t0));
    }
  })();
  return { stop: async () => ((running = false), await loop, times) };
}

/**
 * What the history costs the node, in-process: one latency observation (a request pays four:
 * listener, route, pool, backend) and one sampler tick over 10 listeners and 100 backends.
 */
function historyFigures(report: Report): void {
  const counts = new LatencyCounts();
  const xs = Float64Array.from({ length: 4096 }, (_, i) => 0.2 + ((i * 7919) % 5000) / 100);
  report({ name: "dashboard: one latency observation (hot path, 4 per request)", value: nsPerOp((n) => {
    for (let i = 0; i < n; i++) counts.observe(xs[i & 4095]!);
  }, 2_000_000), unit: "ns" });
  const sources: HistorySource[] = [];
  for (let i = 0; i < 10; i++) sources.push({ scope: "listener", name: `l${i}`, stats: new TrafficStats(), active: 1 });
  for (let i = 0; i < 100; i++) {
    const s = new BackendStats("p", `10.0.0.${i}:80`);
    sources.push({ scope: "backend", name: s.address, parent: "p", stats: s, active: 0, started: 0 });
  }
  const h = new StatsHistory({ sources: () => sources });
  report({ name: "dashboard: one history tick, 110 series (once a second)", value: nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      for (const src of sources) src.stats!.byClass[2]! += 3;
      h.sample(Date.now(), 1);
    }
  }, 2000) / 1000, unit: "µs" });
}

export async function run(report: Report): Promise<void> {
  historyFigures(report);
  if (!hasBinary("wrk") || !existsSync(CHROMIUM)) {
    console.warn(`dashboard bench: skipped (needs wrk and ${CHROMIUM})`);
    return;
  }
  const rounds = Number(process.env.DASHBOARD_BENCH_ROUNDS ?? 6);
  const seconds = Number(process.env.DASHBOARD_BENCH_SECONDS ?? 5);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-dashboard-bench-"));
  const children: Child[] = [];
  const browser = await launch();
  try {
    const backendPort = freePort();
    const backend = spawnChild("backend", [process.execPath, "-e", BACKEND(backendPort)], dir);
    children.push(backend);
    await waitHttp200(backendPort, backend);
    const httpPort = freePort();
    writeFileSync(join(dir, "fulcrum.yaml"),
      `listeners: [{ name: web, protocol: http, address: "127.0.0.1:${httpPort}", pool: app }]\npools: [{ name: app, backends: [{ address: "127.0.0.1:${backendPort}" }] }]\n`);
    const node = await startFulcrumChild(join(dir, "fulcrum.yaml"));
    children.push(node);
    await waitHttp200(httpPort, node);
    const { page } = await open(browser, node.node.url);
    await runWrk(httpPort, 2); // warm-up: JIT, upstream connections
    const refreshMs = await cpuPerRefresh(node.pid, node.node.url);
    const off: number[] = [], browserOn: number[] = [], replayOn: number[] = [], callMs: number[] = [];
    const conditions = [
      async () => {
        await page.goto("about:blank");
        off.push((await runWrk(httpPort, seconds)).rps);
      },
      async () => {
        await page.goto(`${node.node.url}/ui/`);
        await page.locator('[data-chart="listener/web/rps"] canvas').waitFor();
        browserOn.push((await runWrk(httpPort, seconds)).rps);
        await page.goto("about:blank");
      },
      async () => {
        const replay = replayPage(node.node.url);
        replayOn.push((await runWrk(httpPort, seconds)).rps);
        callMs.push(...(await replay.stop()));
      },
    ];
    // Each round starts with the next condition, so none always runs first or last (drift on a shared box).
    for (let i = 0; i < rounds; i++) {
      for (let k = 0; k < conditions.length; k++) await conditions[(i + k) % conditions.length]!();
    }
    const base = median(off);
    report({ name: "dashboard: wrk -c64 through a node, no page (median)", value: base, unit: "req/s" });
    report({ name: "dashboard: page open in Chromium on this machine / none", value: median(browserOn) / base, unit: "ratio", target: ">= 0.98" });
    report({ name: "dashboard: the page's API calls, no browser / none", value: median(replayOn) / base, unit: "ratio", target: ">= 0.98" });
    report({ name: "dashboard: status + history calls under load (median)", value: median(callMs), unit: "ms wall" });
    report({ name: "dashboard: node CPU per page refresh (one a second)", value: refreshMs, unit: "ms", target: "< 20 (2% of a core)" });
  } finally {
    await browser.close();
    for (const c of children.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
