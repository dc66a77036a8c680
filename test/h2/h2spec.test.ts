import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { startH2Server, type H2TestServer } from "./helpers/h2-server.ts";
import { run } from "./helpers/run.ts";
import { testCert, type TestCert } from "./helpers/tls-cert.ts";

/** shared/tools/h2spec beside the checkout (../shared from /work/main, ../../shared from a worktree). */
function findH2spec(): string {
  if (process.env.H2SPEC) return process.env.H2SPEC;
  for (let dir = join(import.meta.dir, "..", ".."); dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, "shared", "tools", "h2spec");
    if (existsSync(p)) return p;
  }
  throw new Error("h2spec not found in a shared/tools folder above the checkout (set H2SPEC)");
}

const H2SPEC = findH2spec();

let plain: H2TestServer;
let tls: H2TestServer;
let cert: TestCert;

beforeAll(async () => {
  cert = await testCert();
  plain = startH2Server();
  tls = startH2Server({ tls: { cert: cert.cert, key: cert.key } });
});

afterAll(() => {
  plain?.stop();
  tls?.stop();
  cert?.remove();
});

/** "146 tests, 146 passed, 0 skipped, 0 failed" → the counts, plus the failing cases' lines. */
function summary(out: string): { total: number; passed: number; skipped: number; failed: number; failures: string } {
  const m = /(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed/.exec(out);
  if (!m) throw new Error(`no h2spec summary in:\n${out.slice(-2000)}`);
  const failures = out.slice(out.indexOf("Failures:") >= 0 ? out.indexOf("Failures:") : out.length);
  return { total: +m[1]!, passed: +m[2]!, skipped: +m[3]!, failed: +m[4]!, failures };
}

describe("h2spec (RFC 9113 and RFC 7541 conformance)", () => {
  test("passes every case over h2c (prior knowledge), strict ones included", async () => {
    const r = await run([H2SPEC, "-h", "127.0.0.1", "-p", String(plain.port), "-o", "2", "-S"], 120_000);
    const s = summary(r.stdout);
    expect(s.failures).toBe("");
    expect(s).toMatchObject({ failed: 0, skipped: 0 });
    expect(s.passed).toBeGreaterThanOrEqual(147);
  }, 150_000);

  test("passes every case over TLS with ALPN h2", async () => {
    const r = await run([H2SPEC, "-h", "127.0.0.1", "-p", String(tls.port), "-t", "-k", "-o", "2"], 120_000);
    const s = summary(r.stdout);
    expect(s.failures).toBe("");
    expect(s).toMatchObject({ failed: 0, skipped: 0 });
    expect(s.passed).toBeGreaterThanOrEqual(146);
  }, 150_000);
});
