import { describe, expect, test } from "bun:test";
import { CidrList, encodeProxyV1, encodeProxyV2, parseProxyHeader, ProxyHeaderReader } from "../../../src/net/index.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const src4 = { ip: "192.0.2.10", port: 51000 };
const dst4 = { ip: "198.51.100.1", port: 443 };
const src6 = { ip: "2001:db8::10", port: 40000 };
const dst6 = { ip: "2001:db8::1", port: 8443 };

describe("v1", () => {
  test("encodes TCP4, TCP6 and UNKNOWN lines as the spec spells them", () => {
    expect(new TextDecoder().decode(encodeProxyV1(src4, dst4))).toBe("PROXY TCP4 192.0.2.10 198.51.100.1 51000 443\r\n");
    expect(new TextDecoder().decode(encodeProxyV1(src6, dst4))).toBe("PROXY TCP6 2001:db8::10 ::ffff:198.51.100.1 40000 443\r\n");
    expect(new TextDecoder().decode(encodeProxyV1({ ip: "::ffff:10.0.0.1", port: 1 }, dst4))).toBe("PROXY TCP4 10.0.0.1 198.51.100.1 1 443\r\n");
    expect(new TextDecoder().decode(encodeProxyV1())).toBe("PROXY UNKNOWN\r\n");
  });

  test("parses what it encodes and reports the header length", () => {
    const bytes = encodeProxyV1(src6, dst6);
    const r = parseProxyHeader(new Uint8Array([...bytes, 1, 2, 3]));
    expect(r).toEqual({ status: "ok", length: bytes.length, header: { version: 1, command: "proxy", transport: "tcp", source: src6, destination: dst6 } });
  });

  test("waits for the CRLF byte by byte, then accepts", () => {
    const bytes = encodeProxyV1(src4, dst4);
    for (let n = 0; n < bytes.length; n++) expect(parseProxyHeader(bytes.subarray(0, n)).status).toBe("need_more");
    expect(parseProxyHeader(bytes).status).toBe("ok");
  });

  test("rejects malformed lines", () => {
    for (const bad of [
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
      "PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
      "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
      "PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n",
      "GET / HTTP/1.1\r\n",
      "PROXY " + "x".repeat(120),
    ]) {
      expect(parseProxyHeader(text(bad)).status).toBe("invalid");
    }
    expect(parseProxyHeader(text("PROXY UNKNOWN whatever\r\n")).status).toBe("ok");
  });
});

describe("v2", () => {
  test("round-trips TCP4, TCP6, UDP4 and UDP6", () => {
    for (const transport of ["tcp", "udp"] as const) {
      for (const [source, destination] of [[src4, dst4], [src6, dst6], [src4, dst6]] as const) {
        const bytes = encodeProxyV2({ transport, source, destination });
        const r = parseProxyHeader(bytes);
        if (r.status !== "ok") throw new Error(JSON.stringify(r));
        expect(r.length).toBe(bytes.length);
        const mixed = source === src4 && destination === dst6;
        expect(r.header).toMatchObject({ version: 2, command: "proxy", transport, destination });
        expect(r.header.source!.ip).toBe(mixed ? "::ffff:192.0.2.10" : source.ip);
        expect(bytes[13]).toBe(((source === src4 && !mixed ? 1 : 2) << 4) | (transport === "tcp" ? 1 : 2));
      }
    }
  });

  test("encodes LOCAL with no addresses and keeps TLVs", () => {
    const tlvs = new Uint8Array([0x04, 0x00, 0x02, 0xaa, 0xbb]); // PP2_TYPE_NOOP with 2 bytes
    const bytes = encodeProxyV2({ command: "local", tlvs });
    expect(bytes.length).toBe(16 + 5);
    const r = parseProxyHeader(bytes);
    expect(r).toEqual({ status: "ok", length: 21, header: { version: 2, command: "local", transport: "unspec", tlvs } });
  });

  test("waits for the whole header, then rejects lies and oversize", () => {
    const bytes = encodeProxyV2({ source: src6, destination: dst6 });
    for (let n = 0; n < bytes.length; n++) expect(parseProxyHeader(bytes.subarray(0, n)).status).toBe("need_more");
    const badVersion = bytes.slice();
    badVersion[12] = 0x11;
    const badCmd = bytes.slice();
    badCmd[12] = 0x22;
    const badFam = bytes.slice();
    badFam[13] = 0x41;
    const shortAddr = bytes.slice(0, 16 + 12);
    shortAddr[15] = 12; // INET6 in 12 bytes
    const badTlv = new Uint8Array([...encodeProxyV2({ source: src4, destination: dst4, tlvs: new Uint8Array([1, 0, 9, 0]) })]);
    for (const b of [badVersion, badCmd, badFam, shortAddr, badTlv]) expect(parseProxyHeader(b).status).toBe("invalid");
    const huge = bytes.slice(0, 16);
    huge[14] = 0xff;
    expect(parseProxyHeader(huge).status).toBe("invalid");
    expect(parseProxyHeader(huge, 70000).status).toBe("need_more");
  });
});

describe("ProxyHeaderReader", () => {
  const trusted = new CidrList(["127.0.0.0/8", "::1"]);

  test("accepts a header split across chunks from a trusted peer and hands back the rest", () => {
    const reader = new ProxyHeaderReader("::ffff:127.0.0.1", { trusted });
    const bytes = new Uint8Array([...encodeProxyV2({ source: src4, destination: dst4 }), ...text("GET /")]);
    expect(reader.push(bytes.subarray(0, 10)).status).toBe("need_more");
    const r = reader.push(bytes.subarray(10));
    if (r.status !== "ok") throw new Error(JSON.stringify(r));
    expect(r.header.source).toEqual(src4);
    expect(new TextDecoder().decode(r.rest)).toBe("GET /");
  });

  test("refuses untrusted peers and connections without a header", () => {
    expect(new ProxyHeaderReader("10.0.0.1", { trusted }).push(encodeProxyV1(src4, dst4)).status).toBe("invalid");
    expect(new ProxyHeaderReader("::1", { trusted }).push(text("GET / HTTP/1.1\r\n")).status).toBe("invalid");
  });
});

describe("fuzzing", () => {
  test("never throws and never claims more bytes than it was given, over 20,000 mutations", () => {
    let seed = 0x9e3779b9;
    const rnd = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    const corpus = [
      encodeProxyV1(src4, dst4), encodeProxyV1(src6, dst6), encodeProxyV1(),
      encodeProxyV2({ source: src4, destination: dst4 }), encodeProxyV2({ source: src6, destination: dst6, transport: "udp" }),
      encodeProxyV2({ command: "local", tlvs: new Uint8Array([4, 0, 1, 0]) }),
    ];
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const src = corpus[i % corpus.length]!;
      const b = src.slice(0, Math.max(1, Math.floor(rnd() * 1.2 * src.length)));
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const r = parseProxyHeader(b);
      seen.add(r.status);
      if (r.status !== "ok") continue;
      expect(r.length).toBeLessThanOrEqual(b.length);
      // Whatever was accepted carries addresses that encode again.
      const { source, destination } = r.header;
      if (source && destination) expect(encodeProxyV2({ source, destination }).length).toBeGreaterThan(16);
    }
    expect([...seen].sort()).toEqual(["invalid", "need_more", "ok"]);
  });
});
