/**
 * Issue 7, active checks never pile up connections: a backend that accepts TCP but never answers
 * the TLS handshake fails every tls check by timeout, and each timed-out check closes its socket
 * (before the fix, every one stayed open until the backend gave up).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

let opened = 0;
let closed = 0;
let silent: TCPSocketListener<undefined>;
let node: ResilienceNode;

beforeAll(async () => {
  silent = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { open: () => void opened++, close: () => void closed++, data() {}, error() {} },
  });
  node = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [
      {
        name: "app",
        health_check: { type: "tls", interval_ms: 100, unhealthy_interval_ms: 100, timeout_ms: 50, healthy_threshold: 1, unhealthy_threshold: 2 },
        backends: [{ address: `127.0.0.1:${silent.port}` }],
      },
    ],
  });
});

afterAll(async () => {
  await node?.stop();
  silent?.stop(true);
});

test("tls checks that time out mid-handshake close their connections", async () => {
  await until(async () => (await node.backend("app", `127.0.0.1:${silent.port}`))?.health === "unhealthy", 3000);
  await until(() => opened >= 8, 3000);
  await Bun.sleep(100);
  // At most the check in flight (and one whose close is on its way) is open.
  expect(opened - closed).toBeLessThanOrEqual(2);
});
