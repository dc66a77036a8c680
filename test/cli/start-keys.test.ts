/**
 * Issue 12 item 5 through the real program: the database (and its -wal, -shm) is created 0600,
 * start warns about an existing one others can read, and no private key is printed or exported.
 */
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";
import { killAll, runFulcrum, startFulcrum } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-keys-"));
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});
const mode = (f: string) => (statSync(f).mode & 0o777).toString(8);
/** A line of the key's body: what must never appear in any output. */
const KEY_LINE = TEST_CERTS.a.key.split("\n")[1]!;

test("start creates the database, its -wal and -shm 0600, and warns about one others can read", async () => {
  const db = join(dir, "new.db");
  const node = await startFulcrum(["--db", db]);
  expect((await fetch(`${node.url}/v1/pools`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"name":"app"}' })).status).toBe(201);
  for (const f of [db, `${db}-wal`, `${db}-shm`]) expect(`${f} ${mode(f)}`).toBe(`${f} 600`);
  expect(node.stdout()).not.toContain("warning");
  expect(await node.kill("SIGTERM")).toBe(0);

  const old = join(dir, "old.db");
  openStore(old).close();
  chmodSync(old, 0o644);
  const warned = await startFulcrum(["--db", old]);
  expect(warned.stdout()).toContain(`warning: ${old} (mode 644)`);
  expect(warned.stdout()).toContain("can be read by other users");
  expect(warned.stdout()).toContain(`chmod 600 ${old}`);
  expect(await warned.kill("SIGTERM")).toBe(0);
});

test("no private key is printed at start, in the history or by export", async () => {
  const file = join(dir, "tls.yaml");
  const cert = { name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key };
  writeFileSync(file, JSON.stringify({
    listeners: [{ name: "tls", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site"] } }],
    pools: [{ name: "app", backends: [{ address: "127.0.0.1:9" }] }],
    certificates: [cert],
  }));
  const node = await startFulcrum(["--db", join(dir, "tls.db"), "--config", file]);
  expect(node.stdout()).toContain("certificate site added");
  const exported = await runFulcrum(["export", "--admin", node.url]);
  expect(exported.code).toBe(0);
  expect(exported.stdout).toContain("BEGIN CERTIFICATE");
  const history = await (await fetch(`${node.url}/v1/revisions`)).text();
  for (const text of [node.stdout(), node.stderr(), exported.stdout, exported.stderr, history]) {
    expect(text).not.toContain("PRIVATE KEY");
    expect(text).not.toContain(KEY_LINE);
  }
  expect(await node.kill("SIGTERM")).toBe(0);
});

test("a config file that fails to parse inside a key is reported by line, not quoted", async () => {
  const file = join(dir, "broken.yaml");
  const indented = TEST_CERTS.a.key.trim().split("\n").map((l) => `      ${l}`).join("\n");
  writeFileSync(file, `certificates:\n  - name: site\n    key_pem: |\n${indented}\n     oops: 1\n`);
  for (const args of [["validate", file], ["start", "--db", join(dir, "broken.db"), "--admin", "127.0.0.1:0", "--config", file]]) {
    const r = await runFulcrum(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("INVALID_YAML");
    expect(r.stderr).toMatch(/line \d+, column \d+/);
    expect(r.stderr).not.toContain("PRIVATE KEY");
    for (const line of TEST_CERTS.a.key.trim().split("\n")) expect(r.stderr).not.toContain(line);
  }
});
