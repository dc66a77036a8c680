import { describe, expect, test } from "bun:test";
import { AccessList } from "../../src/net/index.ts";

describe("AccessList", () => {
  test("deny wins over allow; with an allow list everything else is denied", () => {
    const a = new AccessList(["10.0.0.0/8", "::1/128"], ["10.0.0.3"]);
    expect(a.allows("10.1.2.3")).toBe(true);
    expect(a.allows("10.0.0.3")).toBe(false);
    expect(a.allows("11.0.0.1")).toBe(false);
    expect(a.allows("::1")).toBe(true);
    expect(a.allows("::2")).toBe(false);
  });

  test("without an allow list only the denied are refused", () => {
    const a = new AccessList(undefined, ["192.168.0.0/16", "2001:db8::/32"]);
    expect(a.allows("192.168.4.4")).toBe(false);
    expect(a.allows("2001:db8::7")).toBe(false);
    expect(a.allows("2001:db9::7")).toBe(true);
    expect(a.allows("8.8.8.8")).toBe(true);
  });

  test("a dual-stack socket's v4-mapped address is the v4 address; a v4 block never holds a native v6 one", () => {
    const a = new AccessList(["127.0.0.2/32"], ["::ffff:127.0.0.9"]);
    expect(a.allows("::ffff:127.0.0.2")).toBe(true);
    expect(a.allows("127.0.0.9")).toBe(false);
    expect(a.allows("::7f00:2")).toBe(false); // IPv4-compatible (not mapped): a different address
    const all = new AccessList(undefined, ["0.0.0.0/0"]);
    expect(all.allows("::ffff:1.2.3.4")).toBe(false);
    expect(all.allows("::1")).toBe(true);
  });

  test("an address that does not parse never passes, and the answer for the last address is kept", () => {
    const a = new AccessList(undefined, []);
    expect(a.allows("not-an-ip")).toBe(false);
    expect(a.allows("1.2.3.4")).toBe(true);
    expect(a.allows("1.2.3.4")).toBe(true);
    expect(JSON.stringify(new AccessList(["10.0.0.0/8"], ["10.0.0.1"]))).toBe('{"allow":["10.0.0.0/8"],"deny":["10.0.0.1"]}');
  });
});
