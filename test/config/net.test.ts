import { describe, expect, test } from "bun:test";
import { cidrContains, parseCidr, parseHostPort, type Cidr } from "../../src/config/index.ts";

describe("parseHostPort", () => {
  test("parses IPv4, bracketed IPv6 and host names", () => {
    expect(parseHostPort("10.0.0.1:80")).toEqual({ host: "10.0.0.1", port: 80 });
    expect(parseHostPort("[::1]:443")).toEqual({ host: "::1", port: 443 });
    expect(parseHostPort("backend-1.internal:8080")).toEqual({ host: "backend-1.internal", port: 8080 });
    expect(parseHostPort("0.0.0.0:0", true)).toEqual({ host: "0.0.0.0", port: 0 });
  });

  test("refuses what does not parse, with a reason", () => {
    for (const bad of ["10.0.0.1", "::1:80", "[::1]", "[::1]:", "[zz]:80", "a:65536", "a:-1", "a:0", "under_score:80", ":80", "10.0.0.1:8o"]) {
      expect(typeof parseHostPort(bad)).toBe("string");
    }
  });
});

describe("CIDRs", () => {
  const c = (s: string) => parseCidr(s) as Cidr;
  test("parse with or without a prefix", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({ family: 4, address: "10.0.0.0", prefix: 8 });
    expect(parseCidr("::1")).toEqual({ family: 6, address: "::1", prefix: 128 });
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0/8", "x/1", "10.0.0.0/"]) expect(typeof parseCidr(bad)).toBe("string");
  });

  test("contain the addresses in their range only", () => {
    expect(cidrContains(c("10.0.0.0/8"), "10.200.3.4")).toBe(true);
    expect(cidrContains(c("10.0.0.0/8"), "11.0.0.1")).toBe(false);
    expect(cidrContains(c("192.168.1.0/23"), "192.168.0.255")).toBe(true);
    expect(cidrContains(c("192.168.1.0/23"), "192.168.2.0")).toBe(false);
    expect(cidrContains(c("0.0.0.0/0"), "8.8.8.8")).toBe(true);
    expect(cidrContains(c("fd00::/8"), "fd12:3456::1")).toBe(true);
    expect(cidrContains(c("fd00::/8"), "fe80::1")).toBe(false);
    expect(cidrContains(c("::1"), "::1")).toBe(true);
    expect(cidrContains(c("::1"), "::2")).toBe(false);
    expect(cidrContains(c("2001:db8::/32"), "2001:db8:ffff::1")).toBe(true);
  });

  test("match IPv4-mapped IPv6 peers against IPv4 ranges, and never mix families otherwise", () => {
    expect(cidrContains(c("127.0.0.0/8"), "::ffff:127.0.0.1")).toBe(true);
    expect(cidrContains(c("10.0.0.0/8"), "::ffff:11.0.0.1")).toBe(false);
    expect(cidrContains(c("::/0"), "10.0.0.1")).toBe(false);
    expect(cidrContains(c("10.0.0.0/8"), "not an ip")).toBe(false);
  });
});
