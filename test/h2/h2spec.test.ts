import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startH2Server, type H2TestServer } from "./helpers/h2-server.ts";
import { findH2spec, h2specSummary as summary } from "./helpers/h2spec.ts";
import { run } from "./helpers/run.ts";
import { testCert, type TestCert } from "./helpers/tls-cert.ts";

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
