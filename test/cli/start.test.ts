import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode } from "../../src/cli/start.ts";
import { LbError, isLbError } from "../../src/errors.ts";
import { killAll, runFulcrum, spawnFulcrum, startFulcrum } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-start-"));
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

async function put(url: string, path: string, body: unknown, method = "POST") {
  const res = await fetch(`${url}${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

describe("fulcrum start", () => {
  test("runs with no arguments: creates ./fulcrum.db, prints where everything is, exits 0 on SIGTERM", async () => {
    const cwd = mkdtempSync(join(dir, "noargs-"));
    // FULCRUM_ADMIN only moves the port to a free one; everything else is the default.
    const node = spawnFulcrum(["start"], { FULCRUM_ADMIN: "127.0.0.1:0", FULCRUM_DB: undefined }, cwd);
    const [, url] = await node.waitFor(/admin listening on (http:\/\/127\.0\.0\.1:\d+)/);
    // The hint is its own log line, written after the admin line: wait for it, do not read early.
    await node.waitFor(/try: curl/);
    expect(node.stdout()).toContain(join(cwd, "fulcrum.db"));
    expect(node.stdout()).toMatch(/revision 0/);
    expect(existsSync(join(cwd, "fulcrum.db"))).toBe(true);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    expect(await node.kill("SIGTERM")).toBe(0);
  });

  test("every acknowledged write survives kill -9 right after the response", async () => {
    const db = join(dir, "durable.db");
    const first = await startFulcrum(["--db", db]);
    expect((await put(first.url, "/v1/pools", { name: "app" })).status).toBe(201);
    const N = 120;
    let last = 0;
    for (let i = 0; i < N; i++) {
      const r = await put(first.url, "/v1/pools/app/backends", { address: `10.1.${i >> 8}.${i & 255}:80`, weight: (i % 7) + 1 });
      expect(r.status).toBe(201);
      last = r.body.revision;
    }
    process.kill(first.pid, "SIGKILL");
    await first.exited;
    expect(last).toBe(N + 1);

    const second = await startFulcrum(["--db", db]);
    expect(second.stdout()).toContain(`revision ${N + 1}`);
    const backends = ((await (await fetch(`${second.url}/v1/pools/app/backends`)).json()) as any).backends;
    expect(backends.length).toBe(N);
    expect(backends[N - 1]).toEqual({ address: `10.1.0.${N - 1}:80`, weight: ((N - 1) % 7) + 1, state: "active" });
    const history = ((await (await fetch(`${second.url}/v1/revisions?limit=1000`)).json()) as any).revisions;
    expect(history.length).toBe(N + 1);
    expect(((await (await fetch(`${second.url}/v1/status`)).json()) as any).revision).toBe(N + 1);
    expect(await second.kill("SIGTERM")).toBe(0);
  });

  test("--config applies a file before serving; the same file again keeps the revision", async () => {
    const db = join(dir, "config.db");
    const file = join(dir, "good.yaml");
    writeFileSync(file, "pools:\n  - name: app\n    backends: [{ address: 10.0.0.1:80 }]\n");
    const a = await startFulcrum(["--db", db, "--config", file]);
    expect(a.stdout()).toContain("revision 1");
    expect(await a.kill("SIGTERM")).toBe(0);
    const b = await startFulcrum(["--db", db, "--config", file]);
    expect(b.stdout()).toContain("revision 1");
    expect(await b.kill("SIGTERM")).toBe(0);
  });

  test("a bad --config exits 1 with every error and its path", async () => {
    const file = join(dir, "bad.json");
    writeFileSync(file, JSON.stringify({ pools: [{ name: "a", table_size: 10, algorithm: "maglev" }, { name: "b", algoritm: "x" }] }));
    const r = await runFulcrum(["start", "--db", join(dir, "bad.db"), "--admin", "127.0.0.1:0", "--config", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CONFIG_INVALID");
    expect(r.stderr).toContain("pools[0].table_size");
    expect(r.stderr).toMatch(/pools\[1\]/);
  });

  test("refuses to bind the admin API beyond loopback without a token, naming the fix", async () => {
    const r = await runFulcrum(["start", "--db", join(dir, "open.db"), "--admin", "0.0.0.0:0"], { FULCRUM_ADMIN_TOKEN: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("FULCRUM_ADMIN_TOKEN");
    expect(r.stderr).toContain("--admin-token-file");
    expect(r.stdout).not.toContain("admin listening");
  });

  test("--admin-token-file turns on bearer auth for all but /healthz", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "file-token-123\n");
    const node = await startFulcrum(["--db", join(dir, "auth.db"), "--admin-token-file", tokenFile], { FULCRUM_ADMIN_TOKEN: undefined });
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${node.url}/v1/config`)).status).toBe(401);
    expect((await fetch(`${node.url}/v1/config`, { headers: { authorization: "Bearer file-token-123" } })).status).toBe(200);
    expect(await node.kill("SIGINT")).toBe(0);
  });

  test("an unknown option is a usage error (exit 2)", async () => {
    const r = await runFulcrum(["start", "--nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--nope");
  });
});

describe("startNode (the seam the data plane plugs into)", () => {
  test("starts the data plane after the first snapshot, serves its readiness and runtime view, stops it last", async () => {
    const events: string[] = [];
    let bound = false;
    const node = await startNode({
      dbPath: join(dir, "seam.db"),
      admin: "127.0.0.1:0",
      dataPlane: async ({ holder, metrics }) => {
        events.push(`start at revision ${holder.current()?.revision}`);
        const seen = metrics.counter("fulcrum_test_snapshots_total", "Snapshots seen by the test data plane.");
        const off = holder.subscribe((s) => {
          seen.inc();
          events.push(`snapshot ${s.revision}`);
        });
        return {
          runtime: { backendHealth: () => "healthy" },
          ready: () => bound,
          stop: async () => {
            off();
            events.push("stop");
          },
        };
      },
    });
    expect((await fetch(`${node.adminUrl}/readyz`)).status).toBe(503);
    bound = true;
    expect((await fetch(`${node.adminUrl}/readyz`)).status).toBe(200);
    const written = await put(node.adminUrl, "/v1/config", { pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }] }] }, "PUT");
    expect(written.status).toBe(200);
    const status = (await (await fetch(`${node.adminUrl}/v1/status`)).json()) as any;
    expect(status.pools[0].backends[0].health).toBe("healthy");
    expect(await (await fetch(`${node.adminUrl}/metrics`)).text()).toContain("fulcrum_test_snapshots_total 1");
    await node.stop();
    await node.stop();
    expect(events).toEqual(["start at revision 0", "snapshot 1", "stop"]);
    expect(await fetch(`${node.adminUrl}/healthz`).then(() => "answered", () => "closed")).toBe("closed");
  });

  test("a data plane that fails to start leaves the database closed and the error intact", async () => {
    let store: { read(): unknown } | undefined;
    let failed: unknown;
    try {
      await startNode({
        dbPath: join(dir, "fail.db"),
        admin: "127.0.0.1:0",
        dataPlane: async (ctx) => {
          store = ctx.store;
          throw new LbError("INVALID_ARGUMENT", "listener web: address in use");
        },
      });
    } catch (e) {
      failed = e;
    }
    expect(isLbError(failed, "INVALID_ARGUMENT")).toBe(true);
    expect(store).toBeDefined();
    expect(() => store!.read()).toThrow();
  });
});
