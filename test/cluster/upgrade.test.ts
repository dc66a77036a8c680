/**
 * Issue 14 × 13: a cluster node upgraded in place (`fulcrum upgrade`). The new binary takes the
 * old one's listening sockets, its database and its etcd lease (it was refused as a live twin of
 * itself before: the old process still held the name), so the name's record never leaves the
 * registry; once the new node serves, the old one writes nothing more under the lease and exits
 * without revoking it. wrk sees no failed request; every node lists the upgraded one throughout,
 * then with the new process's start time and the revision it serves; a write waits for it as before.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, runFulcrum } from "../helpers/process.ts";
import { backend, type Backend } from "../integration/helpers/l7-node.ts";
import { startWrk } from "../integration/helpers/wrk-load.ts";
import { startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { eventually, startNode, type Node } from "./helpers/fulcrum-nodes.ts";

const PREFIX = "/upgrade-test/";
const dir = mkdtempSync(join(tmpdir(), "fulcrum-cluster-upgrade-"));
let etcd: EtcdMember;
let node: Node;
let other: Node;
const bs: Backend[] = [];
/** Processes started by the upgrade (not children of this test): killed by pid at the end. */
const successors = new Set<number>();

beforeAll(async () => {
  etcd = await startEtcd();
  for (let i = 0; i < 2; i++) bs.push(backend(`u${i}`));
  [node, other] = await Promise.all(["lb-up", "lb-other"].map((n) => startNode([etcd.url], n, dir, PREFIX, ["--workers", "1", "--drain-timeout-ms", "2000"])));
  const config = {
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", backends: bs.map((x) => ({ address: x.address })) }],
  };
  const r = await node.send("PUT", "/v1/config?wait=applied", config);
  expect(r.status).toBe(200);
  expect(r.body.wait.applied).toEqual(["lb-other", "lb-up"]);
}, 60_000);

afterEach(() => {
  for (const pid of successors) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

afterAll(async () => {
  await killAll();
  await stopAllEtcd();
  for (const x of bs) x.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("an upgraded cluster node serves throughout, registers under its name again, and acknowledges writes", async () => {
  const port = await node.port("web");
  const load = startWrk(port, 3, 16);
  // The other node's view of the registry, every 50 ms through the upgrade: lb-up never missing.
  let watching = true;
  let polls = 0;
  let missing = 0;
  const watch = (async () => {
    const until = Date.now() + 30_000;
    while (watching && Date.now() < until) {
      const names = (await other.get("/v1/cluster")).nodes.map((n: any) => n.name);
      polls++;
      if (!names.includes("lb-up")) missing++;
      await Bun.sleep(50);
    }
  })();
  await Bun.sleep(500);
  const r = await runFulcrum(["upgrade", "--admin", node.url]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  let next: any;
  await eventually(async () => {
    next = (await node.get("/v1/status")).node;
    expect(next.pid).not.toBe(node.proc.pid);
  }, 20_000);
  successors.add(next.pid);
  expect(await node.proc.proc.exited).toBe(0);
  const w = await load;
  expect({ non2xx: w.non2xx, connect: w.connectErrors, read: w.readErrors, write: w.writeErrors, timeouts: w.timeouts }).toEqual({ non2xx: 0, connect: 0, read: 0, write: 0, timeouts: 0 });
  expect(w.requests).toBeGreaterThan(100);

  // Every node lists the upgraded node once, as registered by its new process, at the revision it serves.
  await eventually(async () => {
    const mine = await node.get("/v1/cluster");
    expect(mine.registered).toBe(true);
    const seen = (await other.get("/v1/cluster")).nodes.filter((n: any) => n.name === "lb-up");
    expect(seen.length).toBe(1);
    expect(seen[0].applied_revision).toBe(mine.revision);
    expect(seen[0].started_at).toBe(next.started_at);
  }, 10_000);

  watching = false;
  await watch;
  expect(polls).toBeGreaterThan(10);
  expect(missing).toBe(0); // the lease was carried on: the record never left the registry

  // A write through the other node waits for the upgraded one as for any node.
  const put = await other.send("POST", "/v1/pools/app/backends?wait=applied&timeout_ms=5000", { address: "127.0.0.1:9" });
  expect(put.status).toBe(201);
  expect(put.body.wait.applied).toEqual(["lb-other", "lb-up"]);
}, 60_000);
