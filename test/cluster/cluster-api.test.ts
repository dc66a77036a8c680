/**
 * The cluster's admin API and flags at their edges: on a standalone node /v1/cluster says so and
 * ?wait=applied is a 400 (nothing written); bad wait parameters are 400s before anything is
 * written on a cluster node too; `start` refuses bad cluster flags with exit 2;
 * FULCRUM_CLUSTER / FULCRUM_NODE do what --cluster and --node do, and a cluster node's --config
 * and SIGHUP write through etcd (another node reads the same history).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAdminApp } from "../../src/admin/index.ts";
import { ClusterHealth, ClusterNode, ClusterStore, clusterView } from "../../src/cluster/index.ts";
import { SnapshotHolder } from "../../src/config/index.ts";
import { ConfigControl } from "../../src/control/index.ts";
import { clusterOptions } from "../../src/cli/start-cluster.ts";
import { isLbError } from "../../src/errors.ts";
import { killAll, runFulcrum, startFulcrum } from "../helpers/process.ts";
import { call, makeApp } from "../admin/setup.ts";
import { startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-capi-"));
let etcd: EtcdMember;
let node: ClusterNode | undefined;

beforeAll(async () => {
  etcd = await startEtcd();
});

afterAll(async () => {
  await node?.stop();
  await killAll();
  await stopAllEtcd();
  rmSync(dir, { recursive: true, force: true });
});

describe("standalone node", () => {
  test("/v1/cluster says standalone; ?wait=applied is a 400 and writes nothing", async () => {
    const { app, store } = makeApp();
    expect((await call(app, "GET", "/v1/cluster")).body).toEqual({ mode: "standalone", nodes: [] });
    const r = await call(app, "POST", "/v1/pools?wait=applied", { name: "app" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain("--cluster");
    expect(r.body.error.details).toEqual([{ path: "wait", message: expect.stringContaining("needs a cluster node") }]);
    expect(store.read().revision).toBe(0);
  });
});

describe("cluster node", () => {
  test("bad wait parameters are 400s before anything is written", async () => {
    node = await ClusterNode.start({ endpoints: [etcd.url], name: "api", adminUrl: "http://127.0.0.1:0", version: "test", dbPath: join(dir, "api.db"), root: "/capi/", ttlS: 2 });
    const store = new ClusterStore(node);
    const holder = new SnapshotHolder();
    const health = new ClusterHealth(node, () => "majority");
    const app = createAdminApp({ store, holder, control: new ConfigControl({ store, holder }), cluster: clusterView({ node, health, serving: () => holder.current()?.revision }) });
    for (const [query, field, message] of [
      ["?wait=now", "wait", 'wait: must be "applied"'],
      ["?timeout_ms=5", "timeout_ms", "timeout_ms: goes with wait=applied"],
      ["?wait=applied&timeout_ms=-1", "timeout_ms", "timeout_ms: must be a whole number"],
      ["?wait=applied&timeout_ms=999999", "timeout_ms", "timeout_ms: must be a whole number"],
      ["?wait=applied&dry_run=true", "wait", "wait: cannot go with dry_run"],
    ] as const) {
      const r = await call(app, "POST", `/v1/pools${query}`, { name: "app" });
      expect(r.status).toBe(400);
      expect(r.body.error.message).toContain(message);
      expect(r.body.error.details.map((d: { path: string }) => d.path)).toEqual([field]);
    }
    expect(store.read().revision).toBe(0);
    const ok = await call(app, "POST", "/v1/pools?wait=applied&timeout_ms=0", { name: "app" });
    expect(ok.status).toBe(201);
    expect(ok.body.wait).toMatchObject({ revision: 1, refused: [] });
    const cl = (await call(app, "GET", "/v1/cluster")).body;
    expect(cl).toMatchObject({ mode: "cluster", node: "api", revision: 1, endpoints: [etcd.url], active_health: "cluster", outlier_ejection: "local" });
    health.stop();
  });
});

describe("start's cluster flags", () => {
  test("a flag without its partner, a bad URL, a bad name or TTL is refused saying what is wrong (exit 2)", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ node: "lb-1" }, "--node goes with --cluster"],
      [{ cluster: etcd.url }, "--cluster needs --node"],
      [{ cluster: "127.0.0.1:2379", node: "lb-1" }, "is not an etcd client URL"],
      [{ cluster: etcd.url, node: "Bad Name" }, '--node "Bad Name" must be'],
      [{ cluster: etcd.url, node: "lb-1", "lease-ttl": "1" }, "--lease-ttl must be a whole number of at least 2"],
      [{ cluster: etcd.url, node: "lb-1", "cluster-prefix": "nope" }, "--cluster-prefix must start and end with"],
      [{ "lease-ttl": "5" }, "--lease-ttl goes with --cluster"],
    ];
    for (const [values, message] of cases) {
      let err: unknown;
      try {
        clusterOptions(values, {});
      } catch (e) {
        err = e;
      }
      expect(isLbError(err, "INVALID_ARGUMENT")).toBe(true);
      expect((err as Error).message).toContain(message);
    }
    expect(clusterOptions({}, {})).toBeUndefined();
    expect(clusterOptions({}, { FULCRUM_CLUSTER: `${etcd.url},http://127.0.0.1:1/`, FULCRUM_NODE: "lb-9" })).toMatchObject({ endpoints: [etcd.url, "http://127.0.0.1:1"], node: "lb-9" });
    // As the command line reports them: exit 2, the message on stderr.
    const [start, demo] = await Promise.all([
      runFulcrum(["start", "--admin", "127.0.0.1:0", "--db", join(dir, "never.db"), "--node", "lb-1"]),
      runFulcrum(["demo", "--nodes", "9"]),
    ]);
    expect([start.code, demo.code]).toEqual([2, 2]);
    expect(start.stderr).toContain("--node goes with --cluster");
    expect(demo.stderr).toContain("--nodes must be 1 to 5");
  }, 20_000);

  test("FULCRUM_CLUSTER and FULCRUM_NODE do what --cluster and --node do; start --config and SIGHUP write through etcd", async () => {
    const file = join(dir, "env.json");
    writeFileSync(file, JSON.stringify({ pools: [{ name: "from-file" }] }));
    const env = { FULCRUM_CLUSTER: etcd.url, FULCRUM_NODE: "from-env" };
    const n = await startFulcrum(["--config", file, "--db", join(dir, "env.db"), "--cluster-prefix", "/capi-env/", "--lease-ttl", "2"], env);
    const cl = (await (await fetch(`${n.url}/v1/cluster`)).json()) as any;
    expect(cl).toMatchObject({ mode: "cluster", node: "from-env", endpoints: [etcd.url], revision: 1 });
    expect(n.stdout()).toContain("cluster node from-env");
    writeFileSync(file, JSON.stringify({ pools: [{ name: "from-file" }, { name: "after-sighup" }] }));
    n.proc.kill("SIGHUP");
    await n.waitFor(/config: revision 2 applied \(written on from-env\): SIGHUP reload/);
    // What the history holds is etcd's: another node on the prefix reads the same entries.
    const other = await ClusterNode.start({ endpoints: [etcd.url], name: "reader", adminUrl: "http://127.0.0.1:0", version: "test", dbPath: join(dir, "reader.db"), root: "/capi-env/", ttlS: 2 });
    try {
      const history = new ClusterStore(other).history();
      expect(history.map((e) => [e.revision, e.source, e.file, e.node])).toEqual([[2, "sighup", file, "from-env"], [1, "file", file, "from-env"]]);
      expect(other.config().doc.pools.map((p) => p.name)).toEqual(["from-file", "after-sighup"]);
    } finally {
      await other.stop();
    }
  }, 20_000);
});
