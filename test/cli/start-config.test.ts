/**
 * Issue 12 items 2 and 3 through the real program: a config file that cannot start is not
 * stored, and `start --config` prints what it applies and refuses to overwrite changes made
 * since that file was last applied unless --force.
 */
import { afterAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode } from "../../src/cli/start.ts";
import { openStore } from "../../src/store/index.ts";
import { killAll, runFulcrum, startFulcrum } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-start-config-"));
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The revision and history of the database at `db` (no node running on it). */
function stored(db: string) {
  const store = openStore(db);
  try {
    return { revision: store.read().revision, doc: store.read().doc, history: store.history() };
  } finally {
    store.close();
  }
}

function pools(file: string, backends: string[]): void {
  writeFileSync(file, `pools:\n  - name: app\n    backends: [${backends.map((a) => `{ address: "${a}" }`).join(", ")}]\n`);
}

async function send(url: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

describe("a config that cannot start is not stored (item 2)", () => {
  test("a tcp listener on a taken port: exit 1 naming the address, the port and EADDRINUSE; the database keeps nothing", async () => {
    const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const db = join(dir, "busy.db");
      const file = join(dir, "busy.yaml");
      writeFileSync(file, `listeners:\n  - { name: web, protocol: http, address: "127.0.0.1:${squatter.port}", pool: app }\npools:\n  - { name: app, backends: [{ address: "127.0.0.1:9" }] }\n`);
      const r = await runFulcrum(["start", "--db", db, "--admin", "127.0.0.1:0", "--config", file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`127.0.0.1:${squatter.port}`);
      expect(r.stderr).toContain("EADDRINUSE");
      expect(r.stderr).toContain("listeners[0].address");
      // Nothing stored, so the next plain start is not poisoned by it.
      expect(stored(db)).toMatchObject({ revision: 0, history: [] });
    } finally {
      squatter.stop(true);
    }
  });

  test("a udp listener on a taken port is refused the same way", async () => {
    const squatter = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => squatter.bind(0, "127.0.0.1", () => resolve()));
    try {
      const port = squatter.address().port;
      const db = join(dir, "busy-udp.db");
      const file = join(dir, "busy-udp.yaml");
      writeFileSync(file, `listeners:\n  - { name: dns, protocol: udp, address: "127.0.0.1:${port}", pool: app }\npools:\n  - { name: app, backends: [{ address: "127.0.0.1:9" }] }\n`);
      const r = await runFulcrum(["start", "--db", db, "--admin", "127.0.0.1:0", "--config", file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`127.0.0.1:${port}`);
      expect(r.stderr).toContain("EADDRINUSE");
      expect(stored(db).revision).toBe(0);
    } finally {
      squatter.close();
    }
  });
});

describe("--config at start (item 3)", () => {
  test("prints its diff; refuses to overwrite a change made through the API since the file was applied, unless --force", async () => {
    const db = join(dir, "api.db");
    const file = join(dir, "api.yaml");
    pools(file, ["10.0.0.1:80"]);
    const a = await startFulcrum(["--db", db, "--config", file]);
    expect(a.stdout()).toContain("pool app added");
    expect(a.stdout()).toContain(`applied ${file}: revision 1`);
    expect((await send(a.url, "POST", "/v1/pools/app/backends", { address: "10.0.0.9:80" })).status).toBe(201);
    expect(await a.kill("SIGTERM")).toBe(0);

    const refused = await runFulcrum(["start", "--db", db, "--admin", "127.0.0.1:0", "--config", file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("CONFLICT");
    expect(refused.stderr).toContain("--force");
    expect(refused.stderr).toContain("revision 2: through the API");
    expect(refused.stderr).toContain("POST /v1/pools/app/backends");
    expect(refused.stderr).toContain("pool app: backend 10.0.0.9:80 removed");
    expect(refused.stdout).not.toContain("admin listening");
    expect(stored(db).revision).toBe(2);
    expect(stored(db).doc.pools[0]!.backends.map((b) => b.address)).toEqual(["10.0.0.1:80", "10.0.0.9:80"]);

    const forced = await startFulcrum(["--db", db, "--config", file, "--force"]);
    expect(forced.stdout()).toContain("pool app: backend 10.0.0.9:80 removed");
    expect(forced.stdout()).toContain(`applied ${file}: revision 3`);
    expect(await forced.kill("SIGTERM")).toBe(0);
    expect(stored(db).doc.pools[0]!.backends.map((b) => b.address)).toEqual(["10.0.0.1:80"]);
    // Now the file is current again: a plain restart is fine.
    const again = await startFulcrum(["--db", db, "--config", file]);
    expect(again.stdout()).toContain(`no changes from ${file}: revision 3`);
    expect(await again.kill("SIGTERM")).toBe(0);
    expect(stored(db).history.map((e) => [e.revision, e.source, e.file])).toEqual([[3, "file", file], [2, "api", undefined], [1, "file", file]]);
  }, 30_000);

  test("apply -f of the same file keeps it current; API changes that are undone overwrite nothing", async () => {
    const db = join(dir, "applied.db");
    const file = join(dir, "applied.yaml");
    pools(file, ["10.0.0.1:80"]);
    const a = await startFulcrum(["--db", db, "--config", file]);
    pools(file, ["10.0.0.1:80", "10.0.0.3:80"]);
    const applied = await runFulcrum(["apply", "-f", file, "--admin", a.url]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("applied: revision 2");
    expect((await send(a.url, "POST", "/v1/pools/app/backends", { address: "10.0.0.7:80" })).status).toBe(201);
    expect((await send(a.url, "DELETE", `/v1/pools/app/backends/${encodeURIComponent("10.0.0.7:80")}`)).status).toBe(200);
    expect(await a.kill("SIGTERM")).toBe(0);
    const b = await startFulcrum(["--db", db, "--config", file]);
    expect(b.stdout()).toContain("no changes");
    expect(await b.kill("SIGTERM")).toBe(0);
    expect(stored(db).history.map((e) => e.source)).toEqual(["api", "api", "file", "file"]);
  }, 30_000);

  test("--force without --config is a usage error", async () => {
    const r = await runFulcrum(["start", "--force", "--db", join(dir, "force.db")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--force");
  });
});

describe("FulcrumNode.reload (what SIGHUP runs)", () => {
  test("re-reads the --config file and applies it as a sighup change; an invalid file changes nothing", async () => {
    const file = join(dir, "reload.yaml");
    pools(file, ["10.0.0.1:80"]);
    const node = await startNode({ dbPath: join(dir, "reload.db"), configFile: file, admin: "127.0.0.1:0", log: () => {} });
    try {
      pools(file, ["10.0.0.1:80", "10.0.0.4:80"]);
      const r = await node.reload!();
      expect(r).toMatchObject({ revision: 2, changed: true, diff: ["pool app: backend 10.0.0.4:80 added"] });
      expect(node.holder.current()!.revision).toBe(2);
      expect(node.store.history()[0]).toMatchObject({ source: "sighup", file });
      writeFileSync(file, "pools: [{ name: app, algoritm: x }]\n");
      await expect(node.reload!()).rejects.toMatchObject({ code: "CONFIG_INVALID" });
      expect(node.store.read().revision).toBe(2);
    } finally {
      await node.stop();
    }
  });
});
