/**
 * The cluster's figures (issue 13), on one etcd and three real `fulcrum start --cluster` nodes:
 *  - an admin write on one node until applied on all three (`?wait=applied`), p50/p99 over 500,
 *    beside etcd's own put → watch in the same run (a write until applied is two of those: the
 *    write reaching every node, then each node's applied record reaching the writer);
 *  - a backend's death until every node's table agrees (three deaths, the slowest reported);
 *  - a full resync of a 1,000-pool / 10,000-backend config into a fresh node: time and bytes;
 *  - data-plane req/s through a clustered node vs a standalone one (wrk, alternating rounds).
 * `CLUSTER_WRITES`, `CLUSTER_WRK_SECONDS` and `CLUSTER_ROUNDS` tune it, `CLUSTER_NODE_ARGS` adds flags to
 * every node (e.g. "--workers 1"); about a minute in all. `CLUSTER_BIG_POOLS=1000` adds the write
 * until applied with that many more pools of 10 backends in the config (50 writes; a node then
 * validates and compiles only the pool that changed).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ClusterNode, clusterKeys, emptyConfigState, readPrefix, watchStream, writeConfig } from "../../src/cluster/index.ts";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { bigConfig } from "../cluster/helpers/big-config.ts";
import { startEtcd, stopAllEtcd } from "../cluster/helpers/etcd.ts";
import { startNode, type Node } from "../cluster/helpers/fulcrum-nodes.ts";
import { testClient, until } from "../cluster/helpers/mirrors.ts";
import { killAll, startFulcrum } from "../helpers/process.ts";
import type { Report } from "./harness.ts";

const WRITES = Number(process.env.CLUSTER_WRITES ?? 500);
const BIG_POOLS = Number(process.env.CLUSTER_BIG_POOLS ?? 0);
const WRK_SECONDS = Number(process.env.CLUSTER_WRK_SECONDS ?? 5);
const ROUNDS = Number(process.env.CLUSTER_ROUNDS ?? 3);
const PREFIX = "/bench/";
const CHECK = { type: "http", path: "/", interval_ms: 500, timeout_ms: 300, healthy_threshold: 1, unhealthy_threshold: 2 };

/** A keep-alive responder with a 128-byte body on Bun.listen, in its own process (as in l7.bench). */
const RESPONDER = `
const resp = Buffer.from("HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 128\\r\\n\\r\\n" + "x".repeat(128));
const srv = Bun.listen({ hostname: "127.0.0.1", port: Number(process.argv[2] ?? 0), socket: { data(s, d) {
  let i = -1; while ((i = d.indexOf("\\r\\n\\r\\n", i + 1)) >= 0) s.write(resp);
} } });
console.log(srv.port);`;

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

interface Responder {
  port: number;
  stop(): Promise<void>;
}

async function responder(dir: string, port = 0): Promise<Responder> {
  const file = join(dir, "responder.ts");
  writeFileSync(file, RESPONDER);
  const p = Bun.spawn([process.execPath, file, String(port)], { stdout: "pipe", stderr: "inherit" });
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return { port: Number(new TextDecoder().decode(value).trim()), stop: async () => void (p.kill("SIGKILL"), await p.exited) };
}

/** etcd's own put → watch event on this machine now: the floor under each of a write's two legs. */
async function putWatch(report: Report, etcdUrl: string): Promise<void> {
  const client = testClient([etcdUrl]);
  const stop = new AbortController();
  let heard: (() => void) | undefined;
  const watching = watchStream({ key: "/bench-pw/", prefix: true }, { endpoint: etcdUrl, watchdogMs: 60_000, signal: stop.signal, onResponse: (r) => void (r.events.length > 0 && heard?.()) });
  await Bun.sleep(100);
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    const event = new Promise<void>((resolve) => (heard = resolve));
    await client.put("/bench-pw/k", String(i));
    await event;
    times.push(performance.now() - t0);
  }
  stop.abort();
  await watching;
  client.close();
  report({ name: "etcd's own put → watch event, same run p50 (200)", value: quantile(times, 0.5), unit: "ms" });
  report({ name: "etcd's own put → watch event, same run p99", value: quantile(times, 0.99), unit: "ms" });
}

async function writeLatency(report: Report, a: Node, writes = WRITES, label = ""): Promise<void> {
  const times: number[] = [];
  let incomplete = 0;
  for (let i = 0; i < writes; i++) {
    const t0 = performance.now();
    const r = await a.send("PATCH", "/v1/pools/writes/backends/127.0.0.1:9?wait=applied&timeout_ms=5000", { weight: (i % 2) + 1 });
    times.push(performance.now() - t0);
    if (r.status !== 200 || r.body.wait.applied.length !== 3) incomplete++;
  }
  const target = label === "" ? { p50: "≤ 10 ms", p99: "≤ 50 ms" } : { p50: undefined, p99: undefined };
  report({ name: `cluster write until applied on 3 nodes${label} p50 (${writes} writes)`, value: quantile(times, 0.5), unit: "ms", ...(target.p50 ? { target: target.p50 } : {}) });
  report({ name: `cluster write until applied on 3 nodes${label} p99`, value: quantile(times, 0.99), unit: "ms", ...(target.p99 ? { target: target.p99 } : {}) });
  if (incomplete > 0) report({ name: "cluster writes not applied by all 3 in time", value: incomplete, unit: "writes", target: "0" });
}

/** The write figure again with BIG_POOLS more pools in the config (the extra pools removed after). */
async function bigWrites(report: Report, a: Node): Promise<void> {
  const extra = Array.from({ length: BIG_POOLS }, (_, p) => ({
    name: `big-${p}`,
    backends: Array.from({ length: 10 }, (_, b) => ({ address: `10.${(p >> 8) & 255}.${p & 255}.${b + 1}:8080` })),
  }));
  const current = (await a.get("/v1/config")) as { pools: object[] };
  const put = await a.send("PUT", "/v1/config?wait=applied&timeout_ms=10000", { ...current, pools: [...current.pools, ...extra] });
  if (put.status !== 200 || put.body.wait.applied.length !== 3) throw new Error(`the ${BIG_POOLS}-pool config was not applied: ${JSON.stringify(put.body).slice(0, 300)}`);
  await writeLatency(report, a, 50, `, ${BIG_POOLS} more pools`);
  const back = await a.send("PUT", "/v1/config?wait=applied&timeout_ms=10000", current);
  if (back.status !== 200) throw new Error(`the config without the ${BIG_POOLS} pools was not written back: ${back.status}`);
}

/** Kills the pool's second backend, times until all three tables agree without it, brings it back. */
async function deathToAgreement(report: Report, nodes: Node[], dir: string, victimPort: number): Promise<void> {
  const bound = CHECK.interval_ms * CHECK.unhealthy_threshold + 1000;
  const addr = `127.0.0.1:${victimPort}`;
  const tables = () => Promise.all(nodes.map((n) => n.get("/v1/pools/health/table")));
  const worst: number[] = [];
  let victim = await responder(dir, victimPort);
  await until(async () => (await tables()).every((t) => t.backends.some((b: any) => b.address === addr)), 15_000, "the victim in every table");
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await victim.stop();
    await until(async () => {
      const ts = await tables();
      return ts.every((t) => !t.backends.some((b: any) => b.address === addr)) && new Set(ts.map((t) => t.digest)).size === 1;
    }, 15_000, "every table without the victim");
    worst.push(performance.now() - t0);
    victim = await responder(dir, victimPort);
    await until(async () => (await tables()).every((t) => t.backends.some((b: any) => b.address === addr)), 15_000, "the victim back");
  }
  await victim.stop();
  report({ name: "cluster backend death until 3 tables agree (worst of 3)", value: Math.max(...worst), unit: "ms", target: `≤ ${bound} ms (interval × fall + 1 s)` });
}

async function fullResync(report: Report, etcdUrl: string, dir: string): Promise<void> {
  const keys = clusterKeys("/bench-big/");
  const client = testClient([etcdUrl], { deadlineMs: 30_000 });
  const doc = bigConfig(1000, 10);
  await writeConfig(client, keys, emptyConfigState(), doc, { summary: "bench", node: "bench", deadlineMs: 30_000 });
  const bytes = (await readPrefix(client, keys.config, 500)).bytes;
  client.close();
  const t0 = performance.now();
  const node = await ClusterNode.start({
    endpoints: [etcdUrl], name: "fresh", adminUrl: "http://127.0.0.1:0", version: "bench", dbPath: join(dir, "fresh.db"), root: "/bench-big/", ttlS: 2,
  });
  const synced = performance.now() - t0;
  const state = node.config();
  const t1 = performance.now();
  compileSnapshot(validateConfig(state.doc), state.revision);
  const compiled = performance.now() - t1;
  await node.stop();
  if (state.doc.pools.length !== 1000) throw new Error(`resync read ${state.doc.pools.length} pools`);
  report({ name: "cluster full resync 1,000 pools / 10,000 backends", value: synced, unit: "ms" });
  report({ name: "cluster full resync: bytes read from etcd", value: bytes, unit: "B" });
  report({ name: "cluster full resync: then validate + compile", value: compiled, unit: "ms" });
}

async function wrk(port: number): Promise<number> {
  const p = Bun.spawn(["wrk", "-t2", "-c64", `-d${WRK_SECONDS}s`, `http://127.0.0.1:${port}/`], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
}

async function dataPlane(report: Report, clustered: Node, dir: string, backendPort: number): Promise<void> {
  if (!Bun.which("wrk")) return;
  const config = {
    listeners: [{ name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "plain" }],
    pools: [{ name: "plain", backends: [{ address: `127.0.0.1:${backendPort}` }] }],
  };
  await clustered.send("PUT", "/v1/listeners/plain?wait=applied", config.listeners[0]);
  const file = join(dir, "standalone.json");
  writeFileSync(file, JSON.stringify(config));
  const standalone = await startFulcrum(["--config", file, "--db", join(dir, "standalone.db")]);
  const portOf = async (url: string) => Number(((await (await fetch(`${url}/v1/status`)).json()) as any).listeners.find((l: any) => l.name === "plain").address.split(":").pop());
  const ports = { clustered: await clustered.port("plain"), standalone: await portOf(standalone.url) };
  await wrk(ports.clustered);
  await wrk(ports.standalone);
  const rps = { clustered: [] as number[], standalone: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first: drift on a shared machine does not always land on the same one.
    const order = r % 2 === 0 ? (["clustered", "standalone"] as const) : (["standalone", "clustered"] as const);
    for (const k of order) rps[k].push(await wrk(ports[k]));
  }
  await standalone.kill("SIGTERM");
  const c = quantile(rps.clustered, 0.5);
  const s = quantile(rps.standalone, 0.5);
  report({ name: "data plane req/s, clustered node (median)", value: c, unit: "req/s" });
  report({ name: "data plane req/s, standalone node (median)", value: s, unit: "req/s" });
  report({ name: "data plane clustered / standalone", value: c / s, unit: "×", target: "≥ 0.98×" });
}

export async function run(report: Report): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-cluster-bench-"));
  const backends: Responder[] = [];
  try {
    const etcd = await startEtcd();
    const nodes = await Promise.all(["lb-a", "lb-b", "lb-c"].map((n) => startNode([etcd.url], n, dir, PREFIX, process.env.CLUSTER_NODE_ARGS?.split(" ") ?? [])));
    backends.push(await responder(dir), await responder(dir));
    const victimPort = backends[1]!.port;
    await backends[1]!.stop();
    const config = {
      listeners: [{ name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "plain" }],
      pools: [
        { name: "plain", backends: [{ address: `127.0.0.1:${backends[0]!.port}` }] },
        { name: "writes", backends: [{ address: "127.0.0.1:9" }] },
        { name: "health", algorithm: "maglev", health_check: CHECK, backends: [`127.0.0.1:${backends[0]!.port}`, `127.0.0.1:${victimPort}`].map((address) => ({ address })) },
      ],
    };
    await nodes[0]!.send("PUT", "/v1/config?wait=applied", config);
    await writeLatency(report, nodes[0]!);
    await putWatch(report, etcd.url);
    if (BIG_POOLS > 0) await bigWrites(report, nodes[0]!);
    await deathToAgreement(report, nodes, dir, victimPort);
    await fullResync(report, etcd.url, dir);
    await dataPlane(report, nodes[0]!, dir, backends[0]!.port);
  } finally {
    await killAll();
    for (const b of backends) await b.stop();
    await stopAllEtcd();
    rmSync(dir, { recursive: true, force: true });
  }
}
