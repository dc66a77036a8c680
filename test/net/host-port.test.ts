import { describe, expect, test } from "bun:test";
import { isHostname, parseHostPort } from "../../src/net/index.ts";

describe("parseHostPort", () => {
  test("parses IPv4, bracketed IPv6 and host names", () => {
    expect(parseHostPort("10.0.0.1:80")).toEqual({ host: "10.0.0.1", port: 80 });
    expect(parseHostPort("[::1]:443")).toEqual({ host: "::1", port: 443 });
    expect(parseHostPort("backend-1.internal:8080")).toEqual({ host: "backend-1.internal", port: 8080 });
    expect(parseHostPort("under_score:80")).toEqual({ host: "under_score", port: 80 });
    expect(parseHostPort("0.0.0.0:0", true)).toEqual({ host: "0.0.0.0", port: 0 });
  });

  test("refuses what does not parse, with a reason", () => {
    for (const bad of ["10.0.0.1", "::1:80", "[::1]", "[::1]:", "[zz]:80", "a:65536", "a:-1", "a:0", ":80", "10.0.0.1:8o", "010.0.0.1:80", "1.2.3:80", "[fe80::1%eth0]:80"]) {
      expect(typeof parseHostPort(bad)).toBe("string");
    }
  });
});

test("isHostname takes DNS names, not IPs or numbers", () => {
  for (const ok of ["a", "a.b", "a-b.c", "x_y.internal", "a.b."]) expect(isHostname(ok)).toBe(true);
  for (const bad of ["1.2.3.4", "1.2.3", "a..b", "-a", "a b", "", "a.1"]) expect(isHostname(bad)).toBe(false);
});
