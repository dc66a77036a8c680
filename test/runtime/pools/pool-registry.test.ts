import { afterAll, describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../../src/config/index.ts";
import { newPickContext } from "../../../src/balance/index.ts";
import { beginWork, endWork, PoolRegistry } from "../../../src/runtime/index.ts";

function snapshot(pools: unknown[], revision = 1) {
  return compileSnapshot(validateConfig({ pools }), revision);
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

const registries: PoolRegistry[] = [];
const servers: { stop(force?: boolean): void }[] = [];
afterAll(() => {
  registries.forEach((r) => r.stop());
  servers.forEach((s) => s.stop(true));
});

function registry(): PoolRegistry {
  const r = new PoolRegistry({ rebuildDelayMs: 10 });
  registries.push(r);
  return r;
}

describe("PoolRegistry", () => {
  test("a backend that joins a running pool ramps up under slow start; the pool's first backends do not", () => {
    const r = registry();
    const pool = (addresses: string[]) => [{ name: "app", algorithm: "weighted_round_robin", slow_start_ms: 60_000, backends: addresses.map((address) => ({ address })) }];
    const first = snapshot(pool(["10.0.0.1:80", "10.0.0.2:80"]));
    r.apply(first);
    expect(r.current("app")!.selector).toBe(first.pools.app!.selector);
    r.apply(snapshot(pool(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"]), 2));
    const rt = r.current("app")!;
    const counts = [0, 0, 0];
    for (let i = 0; i < 210; i++) counts[rt.selector.pick(newPickContext(undefined, rt.load), 0)]!++;
    // 10% of its weight to start with: about 10 of 210 picks, the others about 100 each.
    expect(counts[2]).toBeGreaterThan(0);
    expect(counts[2]! * 5).toBeLessThan(counts[0]!);
  });

  test("serves active backends only and reuses the compiled selector when nothing is filtered", () => {
    const r = registry();
    const snap = snapshot([{ name: "app", backends: [{ address: "127.0.0.1:1" }, { address: "127.0.0.1:2", state: "draining" }, { address: "127.0.0.1:3" }] }]);
    r.apply(snap);
    const rt = r.current("app")!;
    expect(rt.backends.map((b) => b.address)).toEqual(["127.0.0.1:1", "127.0.0.1:3"]);
    expect(rt.selector).toBe(snap.pools.app!.selector);
    expect(r.current("nope")).toBeUndefined();
    r.apply(snapshot([], 2));
    expect(r.current("app")).toBeUndefined();
  });

  test("an active check failure takes a backend out and its recovery brings it back", async () => {
    let failing = false;
    const bad = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(failing ? "no" : "ok", { status: failing ? 503 : 200 }) });
    const good = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
    servers.push(bad, good);
    const r = registry();
    const hc = { type: "http", interval_ms: 20, timeout_ms: 20, healthy_threshold: 1, unhealthy_threshold: 1, jitter: 0 };
    r.apply(snapshot([{ name: "app", panic_threshold: 0, health_check: hc, backends: [{ address: `127.0.0.1:${bad.port}` }, { address: `127.0.0.1:${good.port}` }] }]));
    expect(r.current("app")!.backends.length).toBe(2);
    failing = true;
    await until(() => r.current("app")!.backends.length === 1, 3000);
    expect(r.current("app")!.backends[0]!.address).toBe(`127.0.0.1:${good.port}`);
    expect(r.health("app", `127.0.0.1:${bad.port}`)).toBe("unhealthy");
    failing = false;
    await until(() => r.current("app")!.backends.length === 2, 3000);
  });

  test("outlier ejection removes a backend on the next tick and panic keeps a pool serving", async () => {
    const r = registry();
    r.apply(snapshot([{ name: "app", outlier_detection: { consecutive_gateway_failures: 2, max_ejection_percent: 50 }, backends: [{ address: "127.0.0.1:1" }, { address: "127.0.0.1:2" }, { address: "127.0.0.1:3" }, { address: "127.0.0.1:4" }] }]));
    const rt = r.current("app")!;
    r.report(rt, 0, "gateway_failure");
    r.report(rt, 0, "gateway_failure");
    expect(r.ejected("app", "127.0.0.1:1")).toBe(true);
    await until(() => r.current("app") !== rt, 1000);
    expect(r.current("app")!.backends.map((b) => b.address)).toEqual(["127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"]);
    expect(r.stats("app", "127.0.0.1:1")!.failures).toBe(2);
  });

  test("live load survives a rebuild: work finished after it lands in the new load array", async () => {
    const r = registry();
    const pools = [{ name: "app", algorithm: "least_connections", outlier_detection: { consecutive_gateway_failures: 1, max_ejection_percent: 50 }, backends: [{ address: "127.0.0.1:1" }, { address: "127.0.0.1:2" }, { address: "127.0.0.1:3" }] }];
    r.apply(snapshot(pools));
    const old = r.current("app")!;
    beginWork(old, 1);
    beginWork(old, 1);
    expect(old.load[1]).toBe(2);
    r.report(old, 0, "gateway_failure");
    await until(() => r.current("app") !== old, 1000);
    const now = r.current("app")!;
    const j = now.index.get("127.0.0.1:2")!;
    expect(now.load[j]).toBe(2);
    endWork(old, 1, r.current("app"));
    expect(now.load[j]).toBe(1);
    expect(now.loadTotal).toBe(1);
    // least_connections now prefers the idle backend.
    const idle = now.index.get("127.0.0.1:3")!;
    expect(now.selector.pick({ load: now.load, first: -1, last: -1 }, 0)).toBe(idle);
  });
});
