import { describe, expect, test } from "bun:test";
import { isLbError } from "../../src/errors.ts";
import { CidrList, formatIp, ipFamily, parseCidr, parseIp } from "../../src/net/index.ts";

describe("ip text", () => {
  test("round-trips IPv4, IPv6 and IPv4-mapped forms canonically", () => {
    const cases: [string, string][] = [
      ["10.0.0.1", "10.0.0.1"],
      ["::ffff:10.0.0.1", "10.0.0.1"],
      ["::1", "::1"],
      ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
      ["::", "::"],
      ["fe80::1.2.3.4", "fe80::102:304"],
      ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ];
    for (const [input, want] of cases) expect(formatIp(parseIp(input)!)).toBe(want);
  });

  test("formats any 16 bytes as text that parses back to the same bytes", () => {
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(16);
      // Sparse bytes so zero runs of every length and position occur.
      for (let j = 0; j < 16; j++) b[j] = ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) % 3 === 0 ? seed & 0xff : 0;
      const text = formatIp(b);
      expect(Array.from(parseIp(text)!)).toEqual(Array.from(b));
      expect(text.includes(":::")).toBe(false);
    }
  });

  test("refuses malformed addresses", () => {
    for (const bad of ["", "1.2.3", "1.2.3.256", "01.2.3.4", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1", "g::1", "1.2.3.4:80", "::ffff:1.2.3"]) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });
});

describe("CidrList", () => {
  const list = new CidrList(["10.0.0.0/8", "192.168.1.7", "2001:db8::/33", "fd00::/7", "172.16.0.0/12"]);

  test("matches IPv4 blocks in plain and dual-stack form", () => {
    expect(list.contains("10.255.0.1")).toBe(true);
    expect(list.contains("::ffff:10.1.2.3")).toBe(true);
    expect(list.contains("11.0.0.1")).toBe(false);
    expect(list.contains("192.168.1.7")).toBe(true);
    expect(list.contains("192.168.1.8")).toBe(false);
    expect(list.contains("172.31.255.255")).toBe(true);
    expect(list.contains("172.32.0.0")).toBe(false);
  });

  test("matches IPv6 blocks on non-byte prefix boundaries", () => {
    expect(list.contains("2001:db8:7fff::1")).toBe(true);
    expect(list.contains("2001:db8:8000::1")).toBe(false);
    expect(list.contains("fdff::1")).toBe(true);
    expect(list.contains("fe00::1")).toBe(false);
  });

  test("keeps IPv4 blocks away from native IPv6 peers and junk", () => {
    expect(new CidrList(["0.0.0.0/0"]).contains("::1")).toBe(false);
    expect(new CidrList(["0.0.0.0/0"]).contains("8.8.8.8")).toBe(true);
    expect(list.contains("not an ip")).toBe(false);
    expect(new CidrList([]).contains("10.0.0.1")).toBe(false);
  });

  test("rejects bad entries with CONFIG_INVALID", () => {
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/", "x/8", "10.0.0.0/8/8"]) {
      let err: unknown;
      try {
        new CidrList([bad]);
      } catch (e) {
        err = e;
      }
      expect(isLbError(err, "CONFIG_INVALID")).toBe(true);
    }
  });
});

describe("parseCidr and ipFamily", () => {
  test("parse with or without a prefix; v4 blocks live in the mapped range", () => {
    expect(parseCidr("10.0.0.0/8")).toMatchObject({ bits: 104, text: "10.0.0.0/8" });
    expect(parseCidr("::1")).toMatchObject({ bits: 128, text: "::1" });
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0/8", "x/1", "10.0.0.0/"]) expect(typeof parseCidr(bad)).toBe("string");
  });

  test("ipFamily tells IPv4, IPv6 and junk apart strictly", () => {
    expect(ipFamily("10.0.0.1")).toBe(4);
    expect(ipFamily("::ffff:10.0.0.1")).toBe(6);
    expect(ipFamily("fe80::1%eth0")).toBe(0);
    expect(ipFamily("010.0.0.1")).toBe(0);
    expect(ipFamily("a.b")).toBe(0);
  });

  test("a list answers repeated questions about one address from its memo, and still right after another", () => {
    const list = new CidrList(["10.0.0.0/8", "::1"]);
    expect(list.contains("10.1.1.1")).toBe(true);
    expect(list.contains("10.1.1.1")).toBe(true);
    expect(list.contains("11.1.1.1")).toBe(false);
    expect(list.contains("::1")).toBe(true);
    expect(list.contains("::ffff:10.9.9.9")).toBe(true);
    expect(JSON.stringify(list)).toBe('["10.0.0.0/8","::1"]');
  });
});
