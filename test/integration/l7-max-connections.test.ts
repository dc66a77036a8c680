/**
 * An http listener at its max_connections, through a real `fulcrum start` node (issue 17): with 4
 * allowed, four keep-alive clients are served and a fifth connection is closed at once without a
 * byte (as a tcp listener's are, and as Envoy's listener limit does), counted in
 * fulcrum_listener_refused_connections_total; once a served client leaves, a new one is served.
 * One worker: a listener's max_connections is per worker, as nginx's worker_connections (README,
 * "Workers").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, metric, pool, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";
import { rawClient, type RawClient } from "./helpers/raw-client.ts";

const app = backend("app");
let n: L7Node;
let port = 0;
const clients: RawClient[] = [];

beforeAll(async () => {
  n = await startNode({
    listeners: [{ name: "capped", protocol: "http", address: "127.0.0.1:0", pool: "app", max_connections: 4 }],
    pools: [pool("app", [app])],
  }, undefined, ["--workers", "1"]);
  port = n.port("capped");
});

afterAll(async () => {
  for (const c of clients) c.end();
  await killAll();
  app.stop();
  removeTempDirs();
});

const GET = "GET / HTTP/1.1\r\nhost: capped\r\n\r\n";

/** A client that sent one request: "served" once its answer's head came, "closed" if cut off without a byte. */
async function client(): Promise<"served" | "closed"> {
  const c = await rawClient(port);
  clients.push(c);
  c.write(GET);
  await c.waitFor("\r\n\r\n", 5000);
  if (c.text().startsWith("HTTP/1.1 200")) return "served";
  expect(c.text()).toBe("");
  return "closed";
}

const refused = async () => metric(await n.metrics(), 'fulcrum_listener_refused_connections_total{listener="capped"}');
const active = async () => (await n.status()).listeners.find((l: { name: string }) => l.name === "capped").active_connections as number;

test("at max_connections 4, four keep-alive clients are served and a fifth is closed at once without a byte", async () => {
  for (let i = 0; i < 4; i++) expect(await client()).toBe("served");
  expect(await client()).toBe("closed");
  expect(await client()).toBe("closed");
  expect(await active()).toBe(4);
  expect(await refused()).toBe(2);
  // the four held connections still work (keep-alive), the node serves on
  const c = clients[0]!;
  c.write(GET);
  await until(() => c.text().split("HTTP/1.1 200").length === 3, 5000);
}, 20_000);

test("once a served client leaves, a new connection is served again", async () => {
  clients[1]!.end();
  await until(async () => (await active()) === 3, 5000);
  expect(await client()).toBe("served");
  expect(await client()).toBe("closed");
  expect(await refused()).toBe(3);
}, 20_000);
