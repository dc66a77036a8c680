/**
 * Which certificate an https listener serves for a server name: names read from the certificates
 * (subjectAltName DNS entries, else the CN) and the exact → longest wildcard → default order.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { certificateNames, certificateTable, listenerTls } from "../../../src/runtime/l7/tls-contexts.ts";
import { TEST_CERTS } from "../../helpers/config-gen.ts";
import { makeCert } from "../../integration/https-helpers.ts";

describe("certificateNames", () => {
  test("reads the subjectAltName DNS entries, lower-case, and skips IP addresses", () => {
    // the fixture's SAN: DNS:a.test, DNS:localhost, IP Address:127.0.0.1
    expect(certificateNames(TEST_CERTS.a.cert)).toEqual(["a.test", "localhost"]);
  });

  test("falls back to the subject CN when there is no subjectAltName", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-tls-"));
    try {
      await makeCert(dir, "cn", "Only.CN.test", "email:x@example.com");
      expect(certificateNames(readFileSync(join(dir, "cn.crt"), "utf8"))).toEqual(["only.cn.test"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("certificateTable", () => {
  const table = certificateTable([["default.test"], ["a.test", "*.b.test"], ["*.x.b.test", "a.test"], ["api.x.b.test"]]);

  test("an exact name wins over any wildcard", () => {
    expect((table.lookup("api.x.b.test") ?? -1)).toBe(3);
  });

  test("the longest wildcard suffix wins", () => {
    expect((table.lookup("web.x.b.test") ?? -1)).toBe(2);
    expect((table.lookup("web.b.test") ?? -1)).toBe(1);
    expect((table.lookup("deep.web.b.test") ?? -1)).toBe(1);
  });

  test("a name covered twice goes to the first certificate that lists it", () => {
    expect((table.lookup("a.test") ?? -1)).toBe(1);
  });

  test("names compare case-insensitively, a trailing dot ignored", () => {
    expect((table.lookup("A.Test.") ?? -1)).toBe(1);
  });

  test("a wildcard does not cover its own parent; unknown names get -1 (the default)", () => {
    expect((table.lookup("b.test") ?? -1)).toBe(-1);
    expect((table.lookup("nothing.example") ?? -1)).toBe(-1);
  });
});

describe("listenerTls", () => {
  const site = (name: string, pair: { cert: string; key: string }) => ({ name, certPem: pair.cert, keyPem: pair.key });

  test("one certificate stays on the plain TLS path: no SNI hook", () => {
    const t = listenerTls("web", [site("a", TEST_CERTS.a)]);
    expect(t.sni).toBeUndefined();
    expect(t.tls).toMatchObject({ cert: TEST_CERTS.a.cert, key: TEST_CERTS.a.key });
  });

  test("several: the default's own names keep the bound context, others get a context of their own", () => {
    const t = listenerTls("web", [site("a", TEST_CERTS.a), site("b", TEST_CERTS.b)]);
    expect(t.sni!("b.test")).toBeObject();
    expect(t.sni!("a.test")).toBeUndefined();
    expect(t.sni!("localhost")).toBeUndefined(); // both list it: the first (bound) one serves it
    expect(t.sni!("elsewhere.test")).toBeUndefined();
  });

  test("refuses a listener without certificates", () => {
    expect(() => listenerTls("web", [])).toThrow(/needs a certificate/);
  });
});
