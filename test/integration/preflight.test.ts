/** The admin API refuses a config whose new listener address this node cannot bind (like `nginx -t`). */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";

let n: L7Node;
const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
let ownPort = 0;

async function send(method: string, path: string, body: unknown): Promise<Response> {
  return fetch(`${n.node.url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

beforeAll(async () => {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  ownPort = probe.port;
  probe.stop(true);
  n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: `127.0.0.1:${ownPort}`, pool: "app" }],
    pools: [{ name: "app", backends: [{ address: "127.0.0.1:9" }] }],
  });
});

afterAll(async () => {
  await killAll();
  squatter.stop(true);
  removeTempDirs();
});

test("a new listener on a taken port is a 400 naming its address, and nothing is stored", async () => {
  const before = (await n.status()).revision;
  const listener = { name: "taken", protocol: "tcp", address: `127.0.0.1:${squatter.port}`, pool: "app" };
  const dry = await send("POST", "/v1/listeners?dry_run=true", listener);
  expect(dry.status).toBe(400);
  const res = await send("POST", "/v1/listeners", listener);
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: string; details: { path: string }[] } };
  expect(body.error.code).toBe("CONFIG_INVALID");
  // Named relative to the listener the request sent (issue 12 item 7).
  expect(body.error.details.map((d) => d.path)).toEqual(["address"]);
  expect((await n.status()).revision).toBe(before);
});

test("changing a listener this node already holds is not mistaken for a taken port", async () => {
  const res = await send("PATCH", "/v1/listeners/web", { idle_timeout_ms: 30_000 });
  expect(res.status).toBe(200);
  const st = await n.status();
  expect(st.listeners.find((l: { name: string }) => l.name === "web").bound).toBe(true);
});
