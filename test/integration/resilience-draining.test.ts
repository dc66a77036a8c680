/**
 * Issue 7, backend states from the admin API end to end: `draining` takes no new requests while
 * one in flight finishes with 200; `disabled` takes nothing from the moment the PATCH answers.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { startNode, type ResilienceNode } from "./helpers-resilience/node.ts";

let backends: TestBackend[];
let node: ResilienceNode;
let port = 0;

beforeAll(async () => {
  backends = ["b0", "b1", "b2"].map((t) => startBackend(t));
  node = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", algorithm: "round_robin", backends: backends.map((b) => ({ address: b.address })) }],
  });
  port = await node.port("web");
});

afterAll(async () => {
  await node?.stop();
  backends?.forEach((b) => b.kill());
});

const get = async () => {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  return { status: res.status, body: await res.text() };
};
const setState = (b: TestBackend, state: string) =>
  node.admin("PATCH", `/v1/pools/app/backends/${encodeURIComponent(b.address)}`, { state });

test("draining: no new requests, the one in flight finishes with 200", async () => {
  const target = backends[0]!;
  target.delayMs = 700;
  // Round robin over three: three concurrent requests put one on each backend.
  const inflight = [get(), get(), get()];
  await Bun.sleep(150);
  expect((await node.backend("app", target.address)).active_requests).toBe(1);
  const res = await setState(target, "draining");
  expect(res.status).toBe(200);
  const hitsAtDrain = target.hits;
  for (let i = 0; i < 12; i++) {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body).not.toBe("b0");
  }
  const done = await Promise.all(inflight);
  expect(done.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(done.map((r) => r.body).sort()).toEqual(["b0", "b1", "b2"]);
  expect(target.hits).toBe(hitsAtDrain);
  target.delayMs = 0;
  expect((await setState(target, "active")).status).toBe(200);
  const back: string[] = [];
  for (let i = 0; i < 6; i++) back.push((await get()).body);
  expect(back).toContain("b0");
});

test("disabled: out from the moment the change is acknowledged", async () => {
  const target = backends[1]!;
  expect((await setState(target, "disabled")).status).toBe(200);
  const hits = target.hits;
  for (let i = 0; i < 12; i++) {
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body).not.toBe("b1");
  }
  expect(target.hits).toBe(hits);
  expect((await setState(target, "active")).status).toBe(200);
});
