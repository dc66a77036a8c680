import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runFulcrum } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("fulcrum validate", () => {
  test("a good YAML file: exit 0 and ok", async () => {
    const p = file(
      "good.yaml",
      [
        "listeners:",
        "  - { name: web, protocol: http, address: 127.0.0.1:8080, pool: app }",
        "pools:",
        "  - name: app",
        "    algorithm: maglev",
        "    table_size: 251",
        "    backends: [{ address: 10.0.0.1:80 }, { address: '[::1]:80', weight: 2 }]",
        "",
      ].join("\n"),
    );
    const r = await runFulcrum(["validate", p]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok/);
  });

  test("a bad file: exit 1 with every error and its path", async () => {
    const p = file(
      "bad.json",
      JSON.stringify({
        listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "ghost" }],
        pools: [{ name: "app", algorithm: "maglev", table_size: 100, backends: [{ address: "10.0.0.1:80", weight: 5000 }] }],
      }),
    );
    const r = await runFulcrum(["validate", p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CONFIG_INVALID");
    for (const path of ["listeners[0].pool", "pools[0].table_size", "pools[0].backends[0].weight"]) expect(r.stderr).toContain(path);
  });

  test("a YAML syntax error: exit 1 naming the file", async () => {
    const p = file("broken.yaml", "pools:\n  - name: [app\n");
    const r = await runFulcrum(["validate", p]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("INVALID_YAML");
  });

  test("a missing file is exit 2; no file at all is exit 2", async () => {
    expect((await runFulcrum(["validate", join(dir, "nope.yaml")])).code).toBe(2);
    expect((await runFulcrum(["validate"])).code).toBe(2);
  });
});
