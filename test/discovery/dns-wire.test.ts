/**
 * The DNS message codec against real answers (dnsmasq on loopback, its records known to the test)
 * and against hostile bytes: cut-off messages, pointer loops, forward pointers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket } from "node:dgram";
import { DnsError, encodeQuery, parseMessage, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_SRV } from "../../src/discovery/index.ts";
import { startDnsmasq, stopAllDnsmasq, type Dnsmasq } from "../helpers/dnsmasq.ts";

let dns: Dnsmasq;

beforeAll(async () => {
  dns = await startDnsmasq({
    hosts: "127.0.0.11 app.internal\n127.0.0.12 app.internal\n::1 app6.internal\n127.0.0.21 b1.internal\n127.0.0.21 alias-target.internal\n",
    srv: ["_http._tcp.svc.internal,b1.internal,8081,0,10", "_http._tcp.svc.internal,b2.internal,8082,1,65535"],
    ttl: 7,
  });
});

afterAll(stopAllDnsmasq);

/** Sends `query` to dnsmasq over UDP and returns the raw answer bytes (bounded by 2 s). */
async function ask(name: string, qtype: number): Promise<Buffer> {
  const sock = createSocket("udp4");
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no answer")), 2000);
      sock.on("message", (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      sock.send(encodeQuery(0x1234, name, qtype), dns.port, "127.0.0.1");
    });
  } finally {
    sock.close();
  }
}

describe("DNS wire format", () => {
  test("a query is one question with RD set and an EDNS0 OPT record", () => {
    const q = encodeQuery(0xbeef, "app.internal.", TYPE_SRV);
    expect(q.readUInt16BE(0)).toBe(0xbeef);
    expect(q.readUInt16BE(2)).toBe(0x0100);
    expect([q.readUInt16BE(4), q.readUInt16BE(6), q.readUInt16BE(8), q.readUInt16BE(10)]).toEqual([1, 0, 0, 1]);
    expect(q.subarray(12, 26).toString("latin1")).toBe("\x03app\x08internal\x00");
    expect(q.readUInt16BE(26)).toBe(TYPE_SRV);
    expect(q.readUInt16BE(31)).toBe(41); // OPT after the root name
    expect(q.readUInt16BE(33)).toBe(1232);
    expect(() => encodeQuery(1, `${"a".repeat(64)}.internal`, TYPE_A)).toThrow(DnsError);
  });

  test("parses dnsmasq's A answer: both addresses with the configured TTL", async () => {
    const m = parseMessage(await ask("app.internal", TYPE_A));
    expect(m.id).toBe(0x1234);
    expect(m.rcode).toBe(0);
    expect(m.truncated).toBe(false);
    const got = m.answers.map((r) => (r.type === TYPE_A ? `${r.name} ${r.address} ${r.ttl}` : "?")).sort();
    expect(got).toEqual(["app.internal 127.0.0.11 7", "app.internal 127.0.0.12 7"]);
  });

  test("parses an AAAA answer into the compressed IPv6 text form", async () => {
    const m = parseMessage(await ask("APP6.internal", TYPE_AAAA));
    expect(m.answers).toEqual([{ type: TYPE_AAAA, name: "app6.internal", ttl: 7, address: "::1" }]);
  });

  test("parses SRV answers (priority, weight, port, compressed target) and the additional A record", async () => {
    const m = parseMessage(await ask("_http._tcp.svc.internal", TYPE_SRV));
    const srv = m.answers.filter((r) => r.type === TYPE_SRV).sort((a, b) => (a as { port: number }).port - (b as { port: number }).port);
    expect(srv).toEqual([
      { type: TYPE_SRV, name: "_http._tcp.svc.internal", ttl: 7, priority: 0, weight: 10, port: 8081, target: "b1.internal" },
      { type: TYPE_SRV, name: "_http._tcp.svc.internal", ttl: 7, priority: 1, weight: 65535, port: 8082, target: "b2.internal" },
    ]);
    expect(m.additionals).toContainEqual({ type: TYPE_A, name: "b1.internal", ttl: 7, address: "127.0.0.21" });
  });

  test("NXDOMAIN for a name it does not have, with no records", async () => {
    const m = parseMessage(await ask("nope.internal", TYPE_A));
    expect(m.rcode).toBe(3);
    expect(m.answers).toEqual([]);
  });

  test("cut-off answers, pointer loops and forward pointers are malformed, never a hang or a crash", async () => {
    const real = await ask("_http._tcp.svc.internal", TYPE_SRV);
    for (let len = 0; len < real.length; len++) {
      let threw: unknown;
      try {
        parseMessage(real.subarray(0, len));
      } catch (e) {
        threw = e;
      }
      // Some prefixes are whole messages with fewer records (the counts are in the header): only errors must be DnsErrors.
      if (threw !== undefined) expect(threw).toBeInstanceOf(DnsError);
    }
    const header = Buffer.from([0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0]);
    const selfLoop = Buffer.concat([header, Buffer.from([0xc0, 12, 0, 1, 0, 1])]);
    expect(() => parseMessage(selfLoop)).toThrow(/backwards/);
    const forward = Buffer.concat([header, Buffer.from([0xc0, 20, 0, 1, 0, 1, 0, 0, 0])]);
    expect(() => parseMessage(forward)).toThrow(DnsError);
    const query = encodeQuery(5, "app.internal", TYPE_A);
    expect(() => parseMessage(query)).toThrow(/not a response/);
  });

  test("a CNAME record's target is read through compression", async () => {
    // dnsmasq answers CNAMEs from its config; a hand-made answer covers the parser path.
    const name = Buffer.from("\x05alias\x08internal\x00", "latin1");
    const msg = Buffer.concat([
      Buffer.from([0, 9, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]), name, Buffer.from([0, 5, 0, 1]),
      Buffer.from([0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 9]), Buffer.from("\x06target\xc0\x12", "latin1"),
    ]);
    expect(parseMessage(msg).answers).toEqual([{ type: TYPE_CNAME, name: "alias.internal", ttl: 30, target: "target.internal" }]);
  });
});
