/**
 * Issue 6 + 7, SIGTERM with an open L4 connection: the node stops accepting at once, the
 * established tcp connection keeps relaying both ways during the drain, and the process exits 0
 * when the client closes it, or at the drain timeout when the client never does.
 */
import { afterAll, expect, test } from "bun:test";
import { echoBackend } from "../l4/helpers/backends.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";
import { accepts, tagged } from "./helpers-l4/tag-client.ts";

const DRAIN_MS = 2000;
const backend = echoBackend("b0|");
const nodes: ResilienceNode[] = [];

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  backend.stop(true);
});

async function tcpNode(): Promise<{ node: ResilienceNode; port: number }> {
  const node = await startNode(
    {
      listeners: [{ name: "tcp-in", protocol: "tcp", address: "127.0.0.1:0", pool: "echo" }],
      pools: [{ name: "echo", backends: [{ address: `127.0.0.1:${backend.port}` }] }],
    },
    ["--drain-timeout-ms", String(DRAIN_MS)],
  );
  nodes.push(node);
  return { node, port: await node.port("tcp-in") };
}

test("an open tcp connection keeps relaying during the drain; new ones are refused; exit 0 once it closes", async () => {
  const { node, port } = await tcpNode();
  const conn = await tagged(port, "hello", { keepOpen: true });
  expect(conn.tag).toBe("b0|");

  process.kill(node.proc.pid, "SIGTERM");
  const signalledAt = performance.now();
  await node.proc.waitFor(/SIGTERM: draining/, 2000);
  await until(async () => (await fetch(`${node.url}/readyz`)).status === 503, 1000);
  expect(await accepts(port)).toBe(false);

  // Both directions still flow, several times over, well inside the drain.
  for (let i = 0; i < 5; i++) expect(await conn.roundTrip(`during-drain-${i}`)).toBe(`during-drain-${i}`);
  await Bun.sleep(300);
  expect(await conn.roundTrip("still-there")).toBe("still-there");
  expect(node.proc.proc.exitCode).toBeNull();

  conn.socket.end();
  await conn.closed;
  expect(await node.proc.exited).toBe(0);
  // It left when the connection closed, not at the end of the drain timeout.
  expect(performance.now() - signalledAt).toBeLessThan(DRAIN_MS);
}, 10_000);

test("a connection the client never closes does not hold the node past the drain timeout: exit 0", async () => {
  const { node, port } = await tcpNode();
  const conn = await tagged(port, "idle", { keepOpen: true });
  process.kill(node.proc.pid, "SIGTERM");
  const signalledAt = performance.now();
  expect(await node.proc.exited).toBe(0);
  const took = performance.now() - signalledAt;
  expect(took).toBeGreaterThanOrEqual(DRAIN_MS - 100);
  expect(took).toBeLessThan(DRAIN_MS + 1500);
  // The node closed the connection on its way out.
  const closed = await Promise.race([conn.closed.then(() => true), Bun.sleep(2000).then(() => false)]);
  expect(closed).toBe(true);
}, 10_000);
