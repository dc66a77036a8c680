/**
 * The dashboard of a cluster node (issue 16's ask for issue 13), in real headless Chromium against
 * two real `fulcrum start --cluster` nodes on a real etcd: Pools shows each backend's verdict with
 * every node's vote (a dead backend voted down by both, a live one up by both), and Changes shows
 * every live node's applied revision and lag, a refused revision (a NACK) with its reason, and the
 * node that took each write. No console errors, no request off the node.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { killAll } from "../../helpers/process.ts";
import { backend, deadAddress, type Backend } from "../../integration/helpers/l7-node.ts";
import { startEtcd, stopAllEtcd, type EtcdMember } from "../../cluster/helpers/etcd.ts";
import { startNode, untilServing, type Node } from "../../cluster/helpers/fulcrum-nodes.ts";
import { launch, open, type Watched } from "./helpers/browser.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-ui-cluster-"));
const CHECK = { type: "http", path: "/", interval_ms: 200, timeout_ms: 200, healthy_threshold: 1, unhealthy_threshold: 1 };
let browser: Browser;
let etcd: EtcdMember;
let a: Node, b: Node;
let live: Backend;
const dead = deadAddress();
let tab: Watched;

beforeAll(async () => {
  live = backend("live");
  [browser, etcd] = await Promise.all([launch(), startEtcd()]);
  [a, b] = await Promise.all(["lb-a", "lb-b"].map((n) => startNode([etcd.url], n, dir, "/ui-cluster/")));
  const config = {
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", algorithm: "round_robin", health_check: CHECK, backends: [{ address: live.address }, { address: dead }] }],
  };
  const r = await a.send("PUT", "/v1/config?wait=applied", config);
  expect(r.body.wait.applied).toEqual(["lb-a", "lb-b"]);
  tab = await open(browser, a.url);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await killAll();
  await stopAllEtcd();
  live?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a cluster node's dashboard", () => {
  test("Pools: each backend's verdict with every node's vote", async () => {
    const { page: p, errors, external } = tab;
    await p.goto(`${a.url}/ui/#pools`);
    const deadRow = p.locator(`[data-backend="app/${dead}"]`);
    const liveRow = p.locator(`[data-backend="app/${live.address}"]`);
    // Both nodes check every 200 ms and fall after one failure: both votes are in within seconds.
    await deadRow.locator('.vote[data-vote="down"][data-node="lb-b"]').waitFor();
    await deadRow.locator('.vote[data-vote="down"][data-node="lb-a"]').waitFor();
    expect(await deadRow.locator("[data-verdict]").getAttribute("data-verdict")).toBe("unhealthy");
    expect(await deadRow.locator('.vote[data-vote="up"]').count()).toBe(0);
    await liveRow.locator('.vote[data-vote="up"][data-node="lb-b"]').waitFor();
    await liveRow.locator('.vote[data-vote="up"][data-node="lb-a"]').waitFor();
    expect(await liveRow.locator("[data-verdict]").getAttribute("data-verdict")).toBe("healthy");
    expect(await p.locator('[data-pool="app"] .panel-head').innerText()).toContain("cluster verdict: majority");
    expect(await p.locator("#node-info").innerText()).toContain("node lb-a");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  test("Changes: every node's applied revision and lag, a refused revision with why, and which node took each write", async () => {
    const { page: p, errors, external } = tab;
    // Pinning web to the port lb-a holds: lb-a rebinds in place, lb-b cannot bind it and keeps the revision before.
    const pa = await a.port("web");
    const before = (await b.get("/v1/status")).revision;
    const r = await a.send("PATCH", "/v1/listeners/web?wait=applied&timeout_ms=3000", { address: `127.0.0.1:${pa}` });
    expect(r.body.wait.refused.map((x: any) => x.node)).toEqual(["lb-b"]);
    await p.goto(`${a.url}/ui/#changes`);
    const rowA = p.locator('#cluster-nodes tr[data-node="lb-a"]');
    const rowB = p.locator('#cluster-nodes tr[data-node="lb-b"]');
    await rowB.locator(`[data-nack="${r.body.revision}"]`).waitFor();
    expect(await rowB.locator("[data-lag]").getAttribute("data-lag")).toBe("1");
    expect(await rowB.innerText()).toContain(String(before));
    expect(await rowB.innerText()).toContain(`127.0.0.1:${pa}`);
    expect(await rowA.locator("[data-lag]").getAttribute("data-lag")).toBe("0");
    expect(await rowA.innerText()).toContain(String(r.body.revision));
    expect(await rowA.innerText()).toContain("this node");
    expect(await p.locator(`.revision[data-revision="${r.body.revision}"]`).innerText()).toContain("on lb-a");

    // Back to a port of its own: lb-b applies it, and its row says so at the next refresh.
    const back = await a.send("PATCH", "/v1/listeners/web?wait=applied&timeout_ms=3000", { address: "127.0.0.1:0" });
    expect(back.body.wait.applied).toEqual(["lb-a", "lb-b"]);
    await untilServing([a, b], back.body.revision);
    await p.locator('#cluster-nodes tr[data-node="lb-b"] [data-lag="0"]').waitFor();
    expect(await p.locator('#cluster-nodes tr[data-node="lb-b"] [data-nack]').count()).toBe(0);
    expect(await p.locator('#cluster-nodes tr[data-node="lb-b"]').innerText()).toContain(String(back.body.revision));
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  }, 30_000);
});
