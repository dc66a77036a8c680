/**
 * Backends from DNS, end to end: a real node whose pools find their backends in dnsmasq (A and
 * SRV records, changed mid-test), real HTTP backends on 127.0.0.11-13 sharing one port, requests
 * through the node. Discovered backends show in /v1/status with their source, are health checked,
 * drain when they leave the answer, and never move the config revision; a DNS outage keeps the
 * last good set, a name that never resolves leaves the static backends serving, both logged and
 * counted. A resolver address that does not parse is a 400 naming the field. Two workers: the
 * lookups run once, in the node's control part, and what they find reaches every worker (which
 * never resolves anything itself).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { killAll } from "../helpers/process.ts";
import { startDnsmasq, stopAllDnsmasq, type Dnsmasq } from "../helpers/dnsmasq.ts";
import { backend, call, metric, removeTempDirs, spread, startNode, until, type Backend, type L7Node } from "./helpers/l7-node.ts";

let dns: Dnsmasq;
let node: L7Node;
const servers: Server<unknown>[] = [];
let port = 0;
let fixed: Backend;
let srvA: Backend;
let srvB: Backend;

/** A backend on `host`:`port` answering with x-backend: its host. */
function serveOn(host: string, p: number): Server<unknown> {
  const s = Bun.serve({ hostname: host, port: p, fetch: () => new Response("ok", { headers: { "x-backend": host } }) });
  servers.push(s);
  return s;
}

/** Three backends on 127.0.0.11, .12 and .13, all on one port (A records carry no port). */
function serveTrio(): void {
  for (let tries = 0; tries < 10; tries++) {
    const first = serveOn("127.0.0.11", 0);
    port = first.port!;
    try {
      serveOn("127.0.0.12", port);
      serveOn("127.0.0.13", port);
      return;
    } catch {
      // that port is taken on another loopback address: start over with a new one
      for (const s of servers.splice(0)) s.stop(true);
    }
  }
  throw new Error("no common port for 127.0.0.11-13");
}

async function poolStatus(name: string): Promise<any> {
  return (await node.status()).pools.find((p: any) => p.name === name);
}

beforeAll(async () => {
  serveTrio();
  fixed = backend("static");
  srvA = backend("srv-a");
  srvB = backend("srv-b");
  dns = await startDnsmasq({
    hosts: "127.0.0.11 app.internal\n127.0.0.12 app.internal\n127.0.0.1 srv.internal\n",
    srv: [`_http._tcp.svc.internal,srv.internal,${srvA.port},0,10`],
  });
  node = await startNode({
    listeners: [{
      name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
      routes: [
        { name: "ghost", match: { path_prefix: "/ghost" }, pool: "ghost" },
        { name: "svc", match: { path_prefix: "/svc" }, pool: "svc" },
        { name: "void", match: { path_prefix: "/void" }, pool: "void" },
      ],
    }],
    pools: [
      {
        name: "app",
        discovery: { dns: "app.internal", type: "A", port, interval_ms: 200, resolvers: [dns.address], drain_ms: 700 },
        health_check: { type: "http", path: "/", interval_ms: 200, timeout_ms: 150 },
      },
      { name: "ghost", backends: [{ address: fixed.address }], discovery: { dns: "never.internal", port: 80, interval_ms: 200, resolvers: [dns.address] } },
      { name: "void", discovery: { dns: "never.internal", port: 80, interval_ms: 200, resolvers: [dns.address] } },
      { name: "svc", algorithm: "maglev", table_size: 7, discovery: { dns: "_http._tcp.svc.internal", type: "SRV", interval_ms: 200, resolvers: [dns.address] } },
    ],
  }, undefined, ["--workers", "2"]);
});

afterAll(async () => {
  await killAll();
  await stopAllDnsmasq();
  for (const s of servers) s.stop(true);
  for (const b of [fixed, srvA, srvB]) b?.stop();
  removeTempDirs();
});

describe("backends from DNS", () => {
  test("the A records' addresses serve, show as found in DNS, and are health checked", async () => {
    const app = await poolStatus("app");
    expect(app.backends.map((b: any) => [b.address, b.source, b.dns]).sort()).toEqual([
      [`127.0.0.11:${port}`, "dns", "app.internal"],
      [`127.0.0.12:${port}`, "dns", "app.internal"],
    ]);
    expect(app.discovery).toMatchObject({ dns: "app.internal", type: "A", active: 2, draining: 0, failures: 0 });
    await until(async () => (await poolStatus("app")).backends.every((b: any) => b.health === "healthy"), 5000);
    const counts = await spread(10, () => call(node.port("web"), "/"));
    expect(counts).toEqual({ "127.0.0.11": 5, "127.0.0.12": 5 });
  });

  test("a record added joins, a record removed drains then goes; the revision never moves", async () => {
    const before = await node.status();
    const revisions = await (await fetch(`${node.node.url}/v1/revisions`)).json();
    await dns.setHosts("127.0.0.12 app.internal\n127.0.0.13 app.internal\n127.0.0.1 srv.internal\n");
    await until(async () => {
      const b = (await poolStatus("app")).backends;
      return b.some((x: any) => x.address === `127.0.0.13:${port}` && x.state === "active") && b.some((x: any) => x.address === `127.0.0.11:${port}` && x.state === "draining");
    }, 5000);
    await until(async () => {
      const counts = await spread(6, () => call(node.port("web"), "/"));
      return counts["127.0.0.11"] === undefined && counts["127.0.0.13"] !== undefined;
    }, 5000);
    await until(async () => !(await poolStatus("app")).backends.some((x: any) => x.address === `127.0.0.11:${port}`), 5000);
    const after = await node.status();
    expect(after.revision).toBe(before.revision);
    expect(await (await fetch(`${node.node.url}/v1/revisions`)).json()).toEqual(revisions);
    const doc: any = await (await fetch(`${node.node.url}/v1/pools/app`)).json();
    expect(doc.backends).toEqual([]);
    expect(node.node.stdout()).toContain(`discovery: pool app: 127.0.0.13:${port} added (dns app.internal (A))`);
    expect(node.node.stdout()).toContain(`discovery: pool app: 127.0.0.11:${port} left the answer; draining for 700 ms`);
  });

  test("SRV records give each target's port; a changed record set replaces it", async () => {
    expect((await poolStatus("svc")).backends.map((b: any) => b.address)).toEqual([srvA.address]);
    const table: any = await (await fetch(`${node.node.url}/v1/pools/svc/table`)).json();
    expect(table.backends).toEqual([{ address: srvA.address, weight: 10, source: "dns", dns: "_http._tcp.svc.internal", slots: 7 }]);
    expect(await spread(3, () => call(node.port("web"), "/svc"))).toEqual({ "srv-a": 3 });
    await dns.setSrv([`_http._tcp.svc.internal,srv.internal,${srvB.port},0,10`]);
    await until(async () => {
      const counts = await spread(3, () => call(node.port("web"), "/svc"));
      return counts["srv-b"] === 3;
    }, 5000);
  });

  test("a name that never resolves keeps the static backends serving (or the pool empty), logged and counted", async () => {
    const ghost = await poolStatus("ghost");
    expect(ghost.backends.map((b: any) => [b.address, b.source])).toEqual([[fixed.address, "config"]]);
    expect(ghost.discovery.failures).toBeGreaterThan(0);
    expect(ghost.discovery.last_error).toContain("NXDOMAIN");
    expect(await spread(2, () => call(node.port("web"), "/ghost"))).toEqual({ static: 2 });
    expect(metric(await node.metrics(), 'fulcrum_pool_dns_lookups_total{pool="ghost",result="nxdomain"}')).toBeGreaterThan(0);
    expect(node.node.stdout()).toContain("discovery: pool ghost: lookup of never.internal (A) failed (nxdomain)");
    // Nothing found and nothing configured: an empty pool answers 503, the node serves on.
    const none = await call(node.port("web"), "/void");
    expect(none.status).toBe(503);
    expect(none.headers.get("x-fulcrum-error")).toBe("NO_HEALTHY_BACKEND");
  });

  test("DNS going away keeps the last good set serving, logged and counted", async () => {
    await dns.stop();
    await until(async () => metric(await node.metrics(), 'fulcrum_pool_dns_lookups_total{pool="app",result="timeout"}') > 0, 8000);
    const app = await poolStatus("app");
    expect(app.discovery.active).toBe(2);
    expect(app.discovery.last_error).toContain("did not answer");
    const counts = await spread(4, () => call(node.port("web"), "/"));
    expect(counts).toEqual({ "127.0.0.12": 2, "127.0.0.13": 2 });
    expect(node.node.stdout()).toContain("discovery: pool app: lookup of app.internal (A) failed (timeout)");
  });

  test("a resolver address that does not parse is a 400 naming the field", async () => {
    const res = await fetch(`${node.node.url}/v1/pools`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "bad", discovery: { dns: "x.internal", port: 80, resolvers: ["127.0.0.1", "not-an-ip:53"] } }),
    });
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.error.code).toBe("CONFIG_INVALID");
    expect(body.error.details.map((d: any) => d.path)).toEqual(["discovery.resolvers[1]"]);
  });
});
