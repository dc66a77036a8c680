/**
 * Issue 12 item 8 through the real program: `--metrics HOST:PORT` serves /metrics, /readyz and
 * /healthz without the admin token, and nothing else; during a drain /readyz says draining.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoBackend } from "../l4/helpers/backends.ts";
import { tagged } from "../integration/helpers-l4/tag-client.ts";
import { killAll, startFulcrum } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-metrics-"));
const backend = echoBackend("m|");
afterAll(async () => {
  await killAll();
  backend.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("--metrics serves the probes and metrics without the token; the admin API still needs it; /readyz says draining", async () => {
  const file = join(dir, "tcp.json");
  writeFileSync(file, JSON.stringify({
    listeners: [{ name: "tcp-in", protocol: "tcp", address: "127.0.0.1:0", pool: "echo" }],
    pools: [{ name: "echo", backends: [{ address: `127.0.0.1:${backend.port}` }] }],
  }));
  const node = await startFulcrum(
    ["--db", join(dir, "m.db"), "--config", file, "--metrics", "127.0.0.1:0", "--drain-timeout-ms", "20000"],
    { FULCRUM_ADMIN_TOKEN: "probe-test-token" },
  );
  const [, metricsUrl] = await node.waitFor(/metrics listening on (http:\/\/127\.0\.0\.1:\d+)/);
  expect(metricsUrl).not.toBe(node.url);
  expect((await fetch(`${node.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${node.url}/readyz`)).status).toBe(401);
  const metrics = await fetch(`${metricsUrl}/metrics`);
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain("fulcrum_config_revision 1");
  expect(await (await fetch(`${metricsUrl}/readyz`)).json()).toEqual({ status: "ready", revision: 1 });
  expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
  expect((await fetch(`${metricsUrl}/v1/config`)).status).toBe(404);
  expect((await fetch(`${metricsUrl}/v1/status`)).status).toBe(404);

  // An open tcp connection keeps the drain going; meanwhile /readyz says why it is 503.
  const auth = { authorization: "Bearer probe-test-token" };
  const status = (await (await fetch(`${node.url}/v1/status`, { headers: auth })).json()) as any;
  const port = Number(String(status.listeners[0].address).split(":").pop());
  const conn = await tagged(port, "hi", { keepOpen: true });
  process.kill(node.pid, "SIGTERM");
  await node.waitFor(/SIGTERM: draining/, 10_000);
  const ready = await fetch(`${metricsUrl}/readyz`);
  expect(ready.status).toBe(503);
  expect(((await ready.json()) as any).error.code).toBe("DRAINING");
  const viaAdmin = await fetch(`${node.url}/readyz`, { headers: auth });
  expect(((await viaAdmin.json()) as any).error.code).toBe("DRAINING");
  conn.socket.end();
  expect(await node.exited).toBe(0);
}, 40_000);
