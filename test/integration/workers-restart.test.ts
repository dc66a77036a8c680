/**
 * Issue 14: a worker that dies under load. The node runs 2 workers with the test-only fault
 * header honoured (FULCRUM_TEST_FAULTS=1: the worker that reads `x-fulcrum-test-fault: exit-worker`
 * exits at once, as a crash would; there is no other way to kill one thread of a process from
 * outside). Twenty keep-alive connections send requests back to back and wrk adds a load of new
 * connections; one of the twenty carries the fault. Exactly the connections the dead worker held
 * drop, every other one carries on without a failed request, new connections are all served,
 * the death is logged with its cause and counted, and the worker serves again within a second.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { keepAliveRun, type KeepAliveResult } from "./helpers-resilience/keepalive.ts";
import { backend, metric, removeTempDirs, startNode, until, type Backend, type L7Node } from "./helpers/l7-node.ts";
import { startWrk } from "./helpers/wrk-load.ts";

let b: Backend;
let n: L7Node;

beforeAll(async () => {
  b = backend("b");
  n = await startNode(
    { listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }], pools: [{ name: "app", backends: [{ address: b.address }] }] },
    undefined,
    ["--workers", "2"],
    { FULCRUM_TEST_FAULTS: "1" },
  );
});

afterAll(async () => {
  await killAll();
  b?.stop();
  removeTempDirs();
});

/** Open client connections per worker, from /metrics. */
async function connectionsByWorker(): Promise<number[]> {
  const m = await n.metrics();
  return [0, 1].map((w) => metric(m, `fulcrum_worker_connections{worker="${w}"}`));
}

test("a worker killed under load: only its own connections drop; it serves again within a second", async () => {
  const port = n.port("web");
  const runs: Promise<KeepAliveResult>[] = [];
  for (let i = 0; i < 20; i++) runs.push(keepAliveRun(port, "/", 3000));
  await until(async () => (await connectionsByWorker()).reduce((a, c) => a + c, 0) === 20, 5000);
  const held = await connectionsByWorker();
  expect(held.every((c) => c > 0)).toBe(true); // the kernel spread them over both workers
  const load = startWrk(port, 2, 8, true);
  await Bun.sleep(300);
  // The fault rides on a connection of its own; the worker that reads it dies with everything it held.
  const fault = keepAliveFault(port);
  const dead = Number((await n.node.waitFor(/worker (\d) died \(exit code 70/, 5000))[1]);
  await fault;
  const [again] = await n.node.waitFor(/worker \d serving again, (\d+) ms after its predecessor died/, 5000);
  expect(Number(/(\d+) ms/.exec(again)![1])).toBeLessThan(1000);
  const results = await Promise.all(runs);
  const dropped = results.filter((r) => r.dropped !== undefined);
  expect(dropped.length).toBe(held[dead]);
  for (const r of results) {
    expect([...r.statuses.keys()]).toEqual([200]);
    if (!r.dropped) expect(r.bodies.length).toBeGreaterThan(10);
  }
  const wrk = await load;
  expect(wrk.requests).toBeGreaterThan(50);
  expect(wrk.non2xx).toBe(0);
  expect(wrk.connectErrors + wrk.timeouts).toBe(0);
  const m = await n.metrics();
  expect(metric(m, `fulcrum_worker_restarts_total{worker="${dead}"}`)).toBe(1);
  expect(metric(m, `fulcrum_worker_up{worker="${dead}"}`)).toBe(1);
  expect(metric(m, `fulcrum_worker_restarts_total{worker="${1 - dead}"}`)).toBe(0);
  const st = await n.status();
  const states = st.node.worker_states.map((w: any) => [w.worker, w.up, w.revision, w.restarts]);
  expect(states).toEqual([0, 1].map((w) => [w, true, st.revision, w === dead ? 1 : 0]));
}, 20_000);

/** One request with the fault header on a fresh keep-alive connection (it is the one that drops). */
async function keepAliveFault(port: number): Promise<void> {
  const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, close() {} } });
  s.write("GET / HTTP/1.1\r\nhost: test\r\nx-fulcrum-test-fault: exit-worker\r\n\r\n");
  await Bun.sleep(200);
  s.end();
}
