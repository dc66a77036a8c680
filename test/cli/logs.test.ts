/**
 * The event log of a real node (issue 12 item 10): every line has a timestamp and a level, JSON
 * with --log-format json; health changes say why; config changes carry their revision and a
 * one-line diff; stopping is logged when it is done.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOrigin } from "../helpers/origin.ts";
import { killAll, runFulcrum, startFulcrum } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-logs-"));
const unhealthy = startOrigin({ fetch: () => new Response("down\n", { status: 503 }) });
// Accepts connections and never answers: a check can only time out.
const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
// Bound, then closed: connecting is refused.
const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const refusedAddress = `127.0.0.1:${closed.port}`;
closed.stop(true);
afterAll(async () => {
  await killAll();
  unhealthy.stop();
  silent.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const CHECK = { type: "http", path: "/", interval_ms: 300, timeout_ms: 200, unhealthy_threshold: 1, healthy_threshold: 1 };

interface JsonLine {
  time: string;
  level: string;
  msg: string;
  [k: string]: unknown;
}

describe("--log-format json", () => {
  test("every line is a JSON object with time and level; health flips say why; config revisions carry the diff; stopping is logged", async () => {
    const file = join(dir, "json.json");
    writeFileSync(
      file,
      JSON.stringify({
        listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
        pools: [{ name: "app", health_check: CHECK, backends: [{ address: refusedAddress }, { address: unhealthy.address }, { address: `127.0.0.1:${silent.port}` }] }],
      }),
    );
    const node = await startFulcrum(["--db", join(dir, "json.db"), "--config", file, "--log-format", "json"]);
    const reason = (backend: string, why: string) => new RegExp(`"msg":"health: pool app backend ${backend} unhealthy: ${why}"`);
    await node.waitFor(reason(refusedAddress, "connection refused"));
    await node.waitFor(reason(unhealthy.address, "status 503"));
    await node.waitFor(reason(`127.0.0.1:${silent.port}`, "timeout after 200 ms"));

    const res = await fetch(`${node.url}/v1/pools/app/backends`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"address":"127.0.0.1:9"}' });
    expect(res.status).toBe(201);
    await node.waitFor(/"msg":"config: revision 2 applied: POST \/v1\/pools\/app\/backends: pool app: backend 127\.0\.0\.1:9 added"/);
    expect(await node.kill("SIGTERM")).toBe(0);

    const lines = node.stdout().trimEnd().split("\n").map((l) => JSON.parse(l) as JsonLine);
    for (const l of lines) {
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(["info", "warn", "error"]).toContain(l.level);
    }
    const flip = lines.find((l) => l.msg.includes("unhealthy: status 503"))!;
    expect(flip).toMatchObject({ level: "warn", pool: "app", backend: unhealthy.address, health: "unhealthy", reason: "status 503" });
    expect(lines.find((l) => l.msg.startsWith("config: revision 2"))).toMatchObject({ level: "info", revision: 2 });
    expect(lines.find((l) => l.msg.startsWith("admin listening on"))).toMatchObject({ admin: node.url });
    expect(lines.at(-2)!.msg).toStartWith("SIGTERM: draining");
    expect(lines.at(-1)!.msg).toMatch(/^stopped in \d+ ms; exiting 0$/);
  }, 30_000);
});

test("text lines start with a UTC timestamp and a level", async () => {
  const node = await startFulcrum(["--db", join(dir, "text.db")]);
  expect(await node.kill("SIGTERM")).toBe(0);
  const lines = node.stdout().trimEnd().split("\n");
  expect(lines.length).toBeGreaterThanOrEqual(5);
  for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO |WARN |ERROR) \S/);
  expect(lines.at(-1)).toMatch(/INFO  stopped in \d+ ms; exiting 0$/);
}, 20_000);

test("an unknown --log-format is a usage error", async () => {
  const r = await runFulcrum(["start", "--db", join(dir, "bad.db"), "--admin", "127.0.0.1:0", "--log-format", "xml"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--log-format must be text or json, got "xml"');
});
