/**
 * Issue 7's figures, through real `fulcrum start` processes on loopback:
 * - failover: time from a backend's death (killed under a closed-loop load of 4 clients) to the
 *   last failed client request, with route retries on [connect_failure, reset] and without;
 * - load through the L7 listener while 1,000 tcp-checked backends of another pool flip state every
 *   second, against the same node while they hold steady (target >= 0.95x);
 * - what 1,000 checks a second cost at all: req/s of a node with the checked pool over the same node
 *   without it, for tcp checks and for http checks on kept connections, and the CPU one probe costs.
 * Medians of a few runs (2 shared cores: noisy). Every process started here is killed by PID.
 */
import { killAll } from "../helpers/process.ts";
import { startBackend } from "../integration/helpers-resilience/backend.ts";
import { runLoad } from "../integration/helpers-resilience/load.ts";
import { startNode } from "../integration/helpers-resilience/node.ts";
import type { Report } from "./harness.ts";
import { idleCpu, median, probeCosts, rps, rpsWithDataPlaneCpu, startFlock } from "./resilience-checks.ts";

/** One failover run: returns ms from the kill to the end of the last failed request (0 = none) and the failure count. */
async function failoverRun(retries: boolean): Promise<{ lastFailMs: number; failed: number; total: number }> {
  const backends = ["b0", "b1", "b2"].map((t) => startBackend(t));
  const node = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
        routes: [{ name: "all", match: { path_prefix: "/" }, retries: { attempts: retries ? 2 : 0, on: ["connect_failure", "reset"] } }],
      },
    ],
    pools: [
      {
        name: "app", algorithm: "round_robin",
        health_check: { type: "http", path: "/healthz", interval_ms: 200, timeout_ms: 200, healthy_threshold: 2, unhealthy_threshold: 2 },
        backends: backends.map((b) => ({ address: b.address })),
      },
    ],
  });
  try {
    const port = await node.port("web");
    let killedAt = 0;
    const load = runLoad(`http://127.0.0.1:${port}/`, { clients: 4, durationMs: 2000, maxRequests: 50_000 });
    await Bun.sleep(600);
    backends[0]!.kill();
    killedAt = performance.now();
    const { samples, startedAt } = await load;
    const kill = killedAt - startedAt;
    const failed = samples.filter((s) => s.status !== 200);
    const lastEnd = failed.reduce((m, s) => Math.max(m, s.end), kill);
    return { lastFailMs: lastEnd - kill, failed: failed.length, total: samples.length };
  } finally {
    await node.stop();
    backends.forEach((b) => b.kill());
  }
}

async function failover(report: Report): Promise<void> {
  for (const retries of [true, false]) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await failoverRun(retries));
    const label = retries ? "with retries [connect_failure, reset]" : "without retries";
    report({ name: `failover: death to last failed request, ${label} (median of 3)`, value: median(runs.map((r) => r.lastFailMs)), unit: "ms", target: retries ? "0" : undefined });
    report({ name: `failover: failed requests, ${label} (median of 3)`, value: median(runs.map((r) => r.failed)), unit: "requests", target: retries ? "0" : undefined });
  }
}

async function flips(report: Report): Promise<void> {
  const N = 1000;
  const flock = await startFlock(N);
  const origin = startBackend("app");
  const node = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [
      { name: "app", backends: [{ address: origin.address }] },
      {
        name: "flock",
        // Probed every 500 ms, so each 1 s state of the flock is seen and every flip is a real one:
        // 1,000 flips a second (a 1 s interval with jitter misses about a third of them).
        health_check: { type: "tcp", expect: "UP", interval_ms: 500, unhealthy_interval_ms: 500, timeout_ms: 400, healthy_threshold: 1, unhealthy_threshold: 1 },
        backends: flock.ports.map((p) => ({ address: `127.0.0.1:${p}` })),
      },
    ],
  });
  try {
    const port = await node.port("web");
    // Every active-check flip of the flock, both ways, from /metrics (log lines are rate-limited).
    const flipCount = async () => {
      const text = await (await node.admin("GET", "/metrics")).text();
      return [...text.matchAll(/^fulcrum_pool_health_transitions_total\{pool="flock",to="\w+"\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    };
    await rps(port, 8, 1500); // warm-up: JIT, keep-alive pools, first check round
    // Short phases, interleaved, and ratios taken per pair: the box is shared, so slow drifts in
    // what the neighbours do cancel out of each pair.
    const steady: number[] = [];
    const flipping: number[] = [];
    const ratios: number[] = [];
    const cpuRatios: number[] = [];
    const flipsPerChange: number[] = [];
    for (let round = 0; round < 4; round++) {
      const calm = await rpsWithDataPlaneCpu(node.proc.pid, port, 8, 2000);
      steady.push(calm.rps);
      // Two state changes inside the 2 s phase: all down at once, all up a second later.
      const before = await flipCount();
      flock.set("down");
      const timer = setTimeout(() => flock.set("up"), 1000);
      try {
        const storm = await rpsWithDataPlaneCpu(node.proc.pid, port, 8, 2000);
        flipping.push(storm.rps);
        cpuRatios.push(storm.usPerRequest / calm.usPerRequest);
      } finally {
        clearTimeout(timer);
      }
      ratios.push(flipping[round]! / steady[round]!);
      flock.set("up");
      await Bun.sleep(1100); // the last flips land (and the flock is healthy before the next steady phase)
      flipsPerChange.push(((await flipCount()) - before) / 2);
    }
    report({ name: "L7 req/s, 8 keep-alive conns, 1,000 backends checked every 500 ms, steady (median of 4)", value: median(steady), unit: "req/s" });
    report({ name: "L7 req/s, same, while the 1,000 flip every second (median of 4)", value: median(flipping), unit: "req/s" });
    report({ name: "L7 req/s ratio flipping / steady (median of 4 paired runs)", value: median(ratios), unit: "x", target: ">= 0.95" });
    report({ name: "  data-plane thread CPU per request, flipping / steady (median of 4 pairs)", value: median(cpuRatios), unit: "x", target: "~1" });
    report({ name: "backends seen to flip per flock state change (median of 4)", value: median(flipsPerChange), unit: "flips", target: "1000" });

    // CPU the node spends with no traffic, steady vs flipping: a steadier figure than req/s on a shared box.
    const cpu = { steady: await idleCpu(node.proc.pid, 2000), flipping: 0 };
    let down = true;
    flock.set("down");
    const timer = setInterval(() => flock.set((down = !down) ? "down" : "up"), 1000);
    try {
      cpu.flipping = await idleCpu(node.proc.pid, 2000);
    } finally {
      clearInterval(timer);
      flock.set("up");
    }
    report({ name: "node CPU, no traffic, 1,000 backends checked every 500 ms, steady", value: cpu.steady, unit: "% of a core" });
    report({ name: "node CPU, no traffic, while the 1,000 flip every second", value: cpu.flipping, unit: "% of a core" });
  } finally {
    await node.stop();
    await flock.stop();
    origin.kill();
  }
}

/** The same node with and without a pool of 1,000 `kind`-checked backends: what 1,000 checks a second cost at all. */
async function checkCost(report: Report, kind: "tcp" | "http"): Promise<void> {
  const N = 1000;
  const flock = await startFlock(N, kind);
  const origin = startBackend("app");
  const timing = { interval_ms: 1000, unhealthy_interval_ms: 1000, timeout_ms: 500, healthy_threshold: 1, unhealthy_threshold: 1 };
  const pool = {
    name: "flock",
    health_check: kind === "tcp" ? { type: "tcp", expect: "UP", ...timing } : { type: "http", path: "/", reuse_connection: true, ...timing },
    backends: flock.ports.map((p) => ({ address: `127.0.0.1:${p}` })),
  };
  const node = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", backends: [{ address: origin.address }] }, pool],
  });
  const label = kind === "tcp" ? "tcp checks" : "http checks on kept connections";
  try {
    const port = await node.port("web");
    await rps(port, 8, 1500); // warm-up: JIT, keep-alive pools, first check round
    const [all, dataPlane, backends] = await Promise.all([idleCpu(node.proc.pid, 2000), idleCpu(node.proc.pid, 2000, true), idleCpu(flock.pid, 2000)]);
    report({ name: `node CPU, no traffic, 1,000 ${label}/s`, value: all, unit: "% of a core" });
    report({ name: `  of which the data-plane thread`, value: dataPlane, unit: "% of a core", target: "~0" });
    report({ name: `  the 1,000 backends' CPU answering them`, value: backends, unit: "% of a core" });
    const costRatios: number[] = [];
    const cpuRatios: number[] = [];
    for (let round = 0; round < 5; round++) {
      const checked = await rpsWithDataPlaneCpu(node.proc.pid, port, 8, 1500);
      const removed = await node.admin("DELETE", "/v1/pools/flock");
      if (!removed.ok) throw new Error(`could not remove the flock pool: ${await removed.text()}`);
      const unchecked = await rpsWithDataPlaneCpu(node.proc.pid, port, 8, 1500);
      costRatios.push(checked.rps / unchecked.rps);
      cpuRatios.push(checked.usPerRequest / unchecked.usPerRequest);
      const added = await node.admin("POST", "/v1/pools", pool);
      if (!added.ok) throw new Error(`could not add the flock pool back: ${await added.text()}`);
      await Bun.sleep(1100); // one full check round before measuring with checks again
    }
    report({ name: `L7 req/s ratio 1,000 ${label}/s steady / no checked pool (median of 5 pairs)`, value: median(costRatios), unit: "x", target: "~1" });
    report({ name: `  data-plane thread CPU per request, same pairs (median)`, value: median(cpuRatios), unit: "x", target: "~1" });
  } finally {
    await node.stop();
    await flock.stop();
    origin.kill();
  }
}

async function probeCpu(report: Report): Promise<void> {
  const c = await probeCosts();
  report({ name: "CPU per probe: tcp check (connect + close) (median of 3)", value: c.tcp, unit: "us" });
  report({ name: "CPU per probe: http check on a kept connection (median of 3)", value: c.httpReuse, unit: "us" });
  report({ name: "CPU per probe: http check, reuse_connection false (median of 3)", value: c.httpFresh, unit: "us" });
}

export async function run(report: Report): Promise<void> {
  try {
    await failover(report);
    await flips(report);
    await probeCpu(report);
    await checkCost(report, "tcp");
    await checkCost(report, "http");
  } finally {
    await killAll();
  }
}
