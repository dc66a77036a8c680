/**
 * max_connections_per_client in a node of two workers, as /metrics shows it: one client whose
 * connections the kernel spread over both workers is one tracked client (not one per worker, nor
 * none), a second client makes two, and the count goes back down as they close.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { echoBackend } from "../l4/helpers/backends.ts";
import { killAll } from "../helpers/process.ts";
import { metric, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";
import { connectFrom, type SourceConn } from "./helpers/source-client.ts";

const echo = echoBackend("e|");
let n: L7Node;
const held: SourceConn[] = [];

beforeAll(async () => {
  n = await startNode(
    {
      listeners: [{ name: "per-client", protocol: "tcp", address: "127.0.0.1:0", pool: "echo", max_connections_per_client: 100 }],
      pools: [{ name: "echo", backends: [{ address: `127.0.0.1:${echo.port}` }] }],
    },
    undefined,
    ["--workers", "2"],
  );
});

afterAll(async () => {
  for (const c of held) c.end();
  await killAll();
  echo.stop(true);
  removeTempDirs();
});

const tracked = async () => metric(await n.metrics(), 'fulcrum_listener_tracked_clients{listener="per-client"}');
const workerConnections = (m: string) => [0, 1].map((w) => metric(m, `fulcrum_worker_connections{worker="${w}"}`));

test("a client's connections on both workers are one tracked client of the node; each client counts once", async () => {
  const port = n.port("per-client");
  // Connections from one address until each worker holds some (the kernel picks by the source port).
  for (let i = 0; i < 40; i++) {
    const c = await connectFrom("127.0.0.2", port);
    c.write(`h${i}`);
    await c.waitFor(`e|h${i}`);
    held.push(c);
    if (i >= 1 && workerConnections(await n.metrics()).every((k) => k > 0)) break;
  }
  expect(workerConnections(await n.metrics()).every((k) => k > 0)).toBe(true);
  expect(await tracked()).toBe(1);

  const other = await connectFrom("127.0.0.3", port);
  other.write("o");
  await other.waitFor("e|o");
  held.push(other);
  expect(await tracked()).toBe(2);

  other.end();
  await until(async () => (await tracked()) === 1, 3000);
  for (const c of held) c.end();
  await until(async () => (await tracked()) === 0, 3000);
});
