import { describe, expect, test } from "bun:test";
import { compileHostPattern, hostMatches, hostOfAuthority, HostTable, isHostPattern, normalizeHostName } from "../../src/net/index.ts";

describe("host names as compared", () => {
  test("lower-case without one trailing dot", () => {
    expect(normalizeHostName("API.Example.com.")).toBe("api.example.com");
    expect(normalizeHostName("a.test")).toBe("a.test");
  });

  test("a Host value or authority loses its port and trailing dot", () => {
    expect(hostOfAuthority("Secret.Internal.:8080")).toBe("secret.internal");
    expect(hostOfAuthority("secret.internal.")).toBe("secret.internal");
    expect(hostOfAuthority("[::1]:80")).toBe("[::1]");
    expect(hostOfAuthority("[::1]")).toBe("[::1]");
    expect(hostOfAuthority("10.0.0.1:80")).toBe("10.0.0.1");
    expect(hostOfAuthority("")).toBe("");
  });

  test("patterns: names and *. wildcards, a trailing dot allowed, nothing else", () => {
    for (const ok of ["a.example.com", "*.example.com", "API.Example.com.", "under_score.test", "localhost"]) expect(isHostPattern(ok)).toBe(true);
    for (const bad of ["*", "a.*.com", "-a.com", "a..com", "a b.com", "**.a.com", ".a.com", "a.com..", ""]) expect(isHostPattern(bad)).toBe(false);
  });
});

describe("hostMatches (routes)", () => {
  const wild = compileHostPattern("*.Example.com.");
  const exact = compileHostPattern("Secret.Internal.");
  test("exact names match themselves only", () => {
    expect(exact.pattern).toBe("secret.internal");
    expect(hostMatches(exact, "secret.internal")).toBe(true);
    expect(hostMatches(exact, "a.secret.internal")).toBe(false);
  });

  test("a wildcard covers any depth below it, not the bare name", () => {
    expect(hostMatches(wild, "a.example.com")).toBe(true);
    expect(hostMatches(wild, "a.b.example.com")).toBe(true);
    expect(hostMatches(wild, "example.com")).toBe(false);
    expect(hostMatches(wild, "aexample.com")).toBe(false);
  });
});

describe("HostTable (certificates, tls_passthrough rules)", () => {
  const t = new HostTable<string>();
  for (const n of ["a.example.com", "*.b.example.com"]) t.add(n, "app");
  t.add("*.example.com", "wild");
  t.add("x.b.example.com", "exact-x");

  test("prefers an exact name, then the longest wildcard, else nothing", () => {
    expect(t.lookup("a.example.com")).toBe("app");
    expect(t.lookup("x.b.example.com")).toBe("exact-x");
    expect(t.lookup("y.b.example.com")).toBe("app");
    expect(t.lookup("deep.y.b.example.com")).toBe("app");
    expect(t.lookup("c.example.com")).toBe("wild");
    expect(t.lookup("b.example.com")).toBe("wild");
    expect(t.lookup("example.com")).toBeUndefined();
    expect(t.lookup("other.org")).toBeUndefined();
  });

  test("compares case-insensitively and ignores a trailing dot, on both sides", () => {
    expect(t.lookup("A.Example.COM.")).toBe("app");
    const u = new HostTable<number>();
    u.add("API.Example.com.", 1);
    expect(u.lookup("api.example.com")).toBe(1);
  });

  test("the first target given a pattern keeps it", () => {
    const u = new HostTable<number>();
    expect(u.add("x.io", 1)).toBe(true);
    expect(u.add("X.io.", 2)).toBe(false);
    expect(u.lookup("x.io")).toBe(1);
  });

  test("agrees with hostMatches on every name: one notion of a match", () => {
    const patterns = ["a.example.com", "*.example.com", "*.b.example.com", "Secret.Internal."];
    const names = ["a.example.com", "A.EXAMPLE.COM.", "b.example.com", "x.b.example.com", "example.com", "secret.internal.", "SECRET.internal", "z.org"];
    for (const p of patterns) {
      const one = new HostTable<boolean>();
      one.add(p, true);
      for (const n of names) expect(one.lookup(n) === true).toBe(hostMatches(compileHostPattern(p), hostOfAuthority(n)));
    }
  });
});
