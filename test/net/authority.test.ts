import { describe, expect, test } from "bun:test";
import { authorityPort, sameAuthority, scanAuthority } from "../../src/net/index.ts";

const scan = (s: string): number => scanAuthority(Buffer.from(s, "latin1"), 0, s.length);

describe("scanAuthority", () => {
  test("accepts names, dotted quads and IPv6 literals, with an optional port; returns where the host ends", () => {
    expect(scan("a.test")).toBe(6);
    expect(scan("A.Test.")).toBe(7);
    expect(scan("a.test:8080")).toBe(6);
    expect(scan("under_score-x.test:0")).toBe(18);
    expect(scan("10.0.0.1:80")).toBe(8);
    expect(scan("[::1]")).toBe(5);
    expect(scan("[2001:db8::1]:443")).toBe(13);
    expect(scan(`${"a".repeat(63)}.test`)).toBe(68);
  });

  test("refuses empty values, empty labels, userinfo, escapes, sub-delims and bad ports", () => {
    for (const bad of ["", ".", ".a", "a..b", "a.b..", "a@b", "a%41", "a!b", "a b", ":80", "a:", "a:b", "a:80:80", "a:99999", "a:123456",
      "::1", "[::1", "[::g]", "[fe80::1%eth0]", "[v1.x]", "[::1]x", `${"a".repeat(64)}.test`, `${"a.".repeat(127)}ab`]) {
      expect({ bad, at: scan(bad) }).toEqual({ bad, at: -1 });
    }
  });
});

describe("sameAuthority", () => {
  test("hosts compare without case and a trailing dot, a missing port is the scheme's", () => {
    expect(sameAuthority("Secret.Internal", "secret.internal.", 80)).toBe(true);
    expect(sameAuthority("a.test", "a.test:80", 80)).toBe(true);
    expect(sameAuthority("a.test:443", "a.test", 443)).toBe(true);
    expect(sameAuthority("a.test", "a.test:80", 443)).toBe(false);
    expect(sameAuthority("a.test:8080", "a.test", 80)).toBe(false);
    expect(sameAuthority("secret.internal", "x", 80)).toBe(false);
    expect(sameAuthority("[::1]:80", "[::1]", 80)).toBe(true);
    expect(authorityPort("[::1]:8080", 80)).toBe(8080);
    expect(authorityPort("[::1]", 80)).toBe(80);
  });
});
