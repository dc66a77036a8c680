import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** Runs `validate ARGS` with `stdin` piped in (bounded). */
async function validateStdin(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "..", "..", "src", "main.ts"), "validate", ...args], {
    stdin: new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A self-signed certificate and key made by openssl, valid for `days`. */
function opensslCert(days: number): { cert: string; key: string } {
  const key = join(dir, `k${days}.pem`);
  const cert = join(dir, `c${days}.pem`);
  const r = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", String(days), "-subj", "/CN=soon.test"], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  return { cert: readFileSync(cert, "utf8"), key: readFileSync(key, "utf8") };
}

describe("fulcrum validate warnings (ok, exit 0; --strict: exit 1)", () => {
  const soon = opensslCert(10);
  const later = opensslCert(400);
  const doc = {
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", routes: [{ name: "all" }, { name: "api", match: { path_prefix: "/api" } }] },
      { name: "site", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["soon", "later"] } },
    ],
    pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }] }, { name: "spare" }],
    certificates: [
      { name: "soon", cert_pem: soon.cert, key_pem: soon.key },
      { name: "later", cert_pem: later.cert, key_pem: later.key },
    ],
  };
  const expected = [
    'fulcrum validate: warning: listeners[0].routes[1]: route "api" of listener "web" can never match: route "all" before it matches every request (first match wins)',
    'fulcrum validate: warning: pools[1]: pool "spare" is used by no listener, route or SNI rule',
    'fulcrum validate: warning: pools[1].backends: pool "spare" has no backends: its requests get 503 NO_HEALTHY_BACKEND',
  ];

  test("each warning on stderr with its path; ok with the count on stdout", async () => {
    const r = await runFulcrum(["validate", file("warn.json", JSON.stringify(doc))]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("ok (2 listeners, 2 pools, 2 certificates) with 4 warnings\n");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines.slice(0, 3)).toEqual(expected);
    expect(lines[3]).toMatch(/^fulcrum validate: warning: certificates\[0\]: certificate "soon" of https listener "site" expires on \d{4}-\d\d-\d\d \(in (9|10) days\)$/);
    expect(lines).toHaveLength(4);
  }, 20_000);

  test("--strict turns warnings (even one) into a failure; a file without any still passes", async () => {
    const warned = await runFulcrum(["validate", "--strict", file("strict.json", JSON.stringify(doc))]);
    expect(warned.code).toBe(1);
    expect(warned.stdout).toBe("");
    expect(warned.stderr).toContain("4 warnings, and --strict counts them as errors");
    const noBackends = await runFulcrum(["validate", "--strict", file("no-backends.yaml", "pools: [{ name: app }]\nlisteners: [{ name: tcp, protocol: tcp, address: 127.0.0.1:9, pool: app }]\n")]);
    expect(noBackends.stdout).toBe("");
    expect(noBackends.code).toBe(1);
    const fixed = await runFulcrum(["validate", "--strict", file("fixed.yaml", "pools: [{ name: app, backends: [{ address: 10.0.0.1:80 }] }]\nlisteners: [{ name: tcp, protocol: tcp, address: 127.0.0.1:9, pool: app }]\n")]);
    expect(fixed.stderr).toBe("");
    expect(fixed.code).toBe(0);
  }, 20_000);

  test("validate - reads the document from stdin (YAML or JSON)", async () => {
    const yaml = await validateStdin(["-"], "pools:\n  - name: app\n    backends: [{ address: 10.0.0.1:80 }]\n");
    expect(yaml.stdout).toBe("ok (0 listeners, 1 pool, 0 certificates) with 1 warning\n");
    expect(yaml.code).toBe(0);
    const json = await validateStdin(["--strict", "-"], JSON.stringify(doc));
    expect(json.code).toBe(1);
    const bad = await validateStdin(["-"], '{"pools":[{"name":"app","algorithm":"nope"}]}');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("pools[0].algorithm");
  }, 20_000);

  test("an empty file, a comments-only file and empty stdin are errors", async () => {
    for (const r of [
      await runFulcrum(["validate", file("empty.yaml", "")]),
      await runFulcrum(["validate", file("comments.yaml", "# nothing here\n\n")]),
      await validateStdin(["-"], ""),
    ]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/CONFIG_INVALID: .*(is empty|holds no document)/);
    }
  }, 20_000);
});
