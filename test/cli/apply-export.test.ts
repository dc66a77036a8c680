import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { makeCert } from "../admin/setup.ts";
import { killAll, runFulcrum, startFulcrum, type StartedNode } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-apply-"));
const TOKEN = "apply-export-token";
let node: StartedNode;

beforeAll(async () => {
  writeFileSync(join(dir, "token"), TOKEN);
  node = await startFulcrum(["--db", join(dir, "node.db"), "--admin-token-file", join(dir, "token")], { FULCRUM_ADMIN_TOKEN: undefined });
});
afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, value: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof value === "string" ? value : JSON.stringify(value, null, 2));
  return p;
}

const env = () => ({ FULCRUM_ADMIN_TOKEN: TOKEN });
const cert = makeCert("site.test");

describe("fulcrum apply and export against a running node", () => {
  test("apply prints the diff and the new revision; export then apply is a no-op", async () => {
    const doc = {
      listeners: [{ name: "tls", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["site"] } }],
      pools: [{ name: "app", algorithm: "maglev", table_size: 251, backends: [{ address: "10.0.0.1:80" }, { address: "[::1]:8080" }] }],
      certificates: [{ name: "site", ...cert }],
    };
    const applied = await runFulcrum(["apply", "-f", file("one.json", doc), "--admin", node.url], env());
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("app");
    expect(applied.stdout).toMatch(/applied: revision 1\n$/);

    const exported = await runFulcrum(["export", "--admin", node.url], env());
    expect(exported.code).toBe(0);
    expect(exported.stdout).not.toContain("PRIVATE KEY");
    expect(exported.stdout).toMatch(/^# fulcrum export: revision 1 of http:\/\/127\.0\.0\.1:\d+/);
    const parsed = parseYaml(exported.stdout);
    expect(parsed.pools[0].backends.map((b: any) => b.address)).toEqual(["10.0.0.1:80", "[::1]:8080"]);

    const again = await runFulcrum(["apply", "-f", file("exported.yaml", exported.stdout), "--admin", node.url], env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("no changes: revision 1");
    const rev = ((await (await fetch(`${node.url}/v1/revisions`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as any).revisions;
    expect(rev.length).toBe(1);
  });

  test("a change shows up as a diff line; --dry-run does not write", async () => {
    const exported = (await runFulcrum(["export", "--admin", node.url], env())).stdout;
    const doc = parseYaml(exported);
    doc.pools[0].backends.push({ address: "10.0.0.3:80" });
    const path = file("two.yaml", JSON.stringify(doc));
    const dry = await runFulcrum(["apply", "-f", path, "--admin", node.url, "--dry-run"], env());
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("10.0.0.3:80");
    expect(dry.stdout).toContain("dry run");
    const real = await runFulcrum(["apply", "-f", path, "--admin", node.url], env());
    expect(real.stdout).toContain("10.0.0.3:80");
    expect(real.stdout).toContain("applied: revision 2");
  });

  test("a document the node refuses: exit 1 with its errors and paths", async () => {
    const bad = file("bad.json", { pools: [{ name: "app", algorithm: "maglev", table_size: 12 }] });
    const r = await runFulcrum(["apply", "-f", bad, "--admin", node.url], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CONFIG_INVALID");
    expect(r.stderr).toContain("pools[0].table_size");
  });

  test("without the token the node answers 401 and apply/export exit 1", async () => {
    const good = file("noauth.json", { pools: [] });
    const a = await runFulcrum(["apply", "-f", good, "--admin", node.url], { FULCRUM_ADMIN_TOKEN: undefined });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain("UNAUTHORIZED");
    const e = await runFulcrum(["export", "--admin", node.url], { FULCRUM_ADMIN_TOKEN: undefined });
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("UNAUTHORIZED");
  });

  test("a node that is not there: exit 1 with a hint", async () => {
    const good = file("nobody.json", { pools: [] });
    const r = await runFulcrum(["apply", "-f", good, "--admin", "127.0.0.1:1"], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot reach the admin API");
  });
});
