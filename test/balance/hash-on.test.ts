import { describe, expect, test } from "bun:test";
import { effectiveHashOn, extractHashKey, formatHashOn, parseHashOn, type HashOn } from "../../src/balance/index.ts";
import { isLbError } from "../../src/errors.ts";

function req(h: Record<string, string>, c: Record<string, string>, q: Record<string, string>, ip = "203.0.113.9") {
  return { clientIp: ip, header: (n: string) => h[n], cookie: (n: string) => c[n], query: (n: string) => q[n] };
}

describe("hash_on", () => {
  test("parses every documented form and prints it back", () => {
    const cases: [string, HashOn][] = [
      ["source_ip", { kind: "source_ip" }],
      ["five_tuple", { kind: "five_tuple" }],
      ["header:x-user", { kind: "header", name: "x-user" }],
      ["cookie:session_id", { kind: "cookie", name: "session_id" }],
      ["query:user", { kind: "query", name: "user" }],
    ];
    for (const [s, h] of cases) {
      expect(parseHashOn(s)).toEqual(h);
      expect(formatHashOn(parseHashOn(s))).toBe(s);
    }
    expect(parseHashOn("header:X-User")).toEqual({ kind: "header", name: "x-user" });
  });

  test("rejects anything else with CONFIG_INVALID", () => {
    for (const s of ["", "source", "header:", "header", "cookie:a b", "header:x:y", "query:", "query:a=b", "path:/x", ":x", "SOURCE_IP"]) {
      let err: unknown;
      try {
        parseHashOn(s);
      } catch (e) {
        err = e;
      }
      expect(isLbError(err, "CONFIG_INVALID")).toBe(true);
    }
  });

  test("extracts the key, and treats a missing or empty value as absent", () => {
    const r = req({ "x-user": "u1", "x-empty": "" }, { sid: "abc" }, { user: "q1" });
    expect(extractHashKey({ kind: "source_ip" }, r)).toBe("203.0.113.9");
    expect(extractHashKey({ kind: "header", name: "x-user" }, r)).toBe("u1");
    expect(extractHashKey({ kind: "header", name: "x-empty" }, r)).toBeUndefined();
    expect(extractHashKey({ kind: "header", name: "x-none" }, r)).toBeUndefined();
    expect(extractHashKey({ kind: "cookie", name: "sid" }, r)).toBe("abc");
    expect(extractHashKey({ kind: "cookie", name: "other" }, r)).toBeUndefined();
    expect(extractHashKey({ kind: "query", name: "user" }, r)).toBe("q1");
    expect(extractHashKey({ kind: "five_tuple" }, r)).toBeUndefined();
  });

  test("a hashing pool hashes on source_ip unless told otherwise; other pools on nothing", () => {
    expect(effectiveHashOn({ algorithm: "maglev" })).toEqual({ kind: "source_ip" });
    expect(effectiveHashOn({ algorithm: "ring_hash", hashOn: { kind: "cookie", name: "s" } })).toEqual({ kind: "cookie", name: "s" });
    expect(effectiveHashOn({ algorithm: "source_ip_hash" })).toEqual({ kind: "source_ip" });
    expect(effectiveHashOn({ algorithm: "random" })).toBeUndefined();
  });
});
