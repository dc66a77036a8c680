import { beforeAll, describe, expect, test } from "bun:test";
import { CLIENT_HELLO_CAP, parseClientHello, parseClientHelloRaw } from "../../src/wasm/index.ts";
import { bunTlsClient, captureHello, opensslClient, refragment } from "../l4/helpers/tls.ts";
import { oracleClientHello } from "../oracles/clienthello.ts";

let opensslHello: Uint8Array;
let opensslAlpnHello: Uint8Array;
let opensslNoSni: Uint8Array;
let bunHello: Uint8Array;
let tls12Hello: Uint8Array;

beforeAll(async () => {
  [opensslHello, opensslAlpnHello, opensslNoSni, bunHello, tls12Hello] = await Promise.all([
    captureHello(opensslClient("Mixed.Example.COM")),
    captureHello(opensslClient("a.example.com", ["-alpn", "h2,http/1.1"])),
    captureHello(opensslClient(null)),
    captureHello(bunTlsClient("bun.example.com")),
    captureHello(opensslClient("legacy.example.com", ["-tls1_2"])),
  ]);
});

/** A minimal TLS 1.0 style hello: no extensions at all. */
function legacyHello(): Uint8Array {
  const body = [0x03, 0x01, ...new Array(32).fill(7), 0, 0, 2, 0x00, 0x2f, 1, 0];
  const hs = [1, 0, 0, body.length, ...body];
  return new Uint8Array([22, 3, 0, 0, hs.length, ...hs]);
}

/** Every pointer the kernel hands back lies inside the input or the scratch region. */
function expectInside(buf: Uint8Array): void {
  const r = parseClientHelloRaw(buf);
  for (const [ptr, len] of [[r.sniPtr, r.sniLen], [r.alpnPtr, r.alpnLen]] as const) {
    if (len === 0) continue;
    const inInput = ptr >= r.inPtr && ptr + len <= r.inPtr + r.inLen;
    const inScratch = ptr >= r.scratchPtr && ptr + len <= r.scratchPtr + r.scratchCap;
    expect(inInput || inScratch).toBe(true);
  }
}

describe("real ClientHellos", () => {
  test("reads the lower-cased SNI from openssl s_client", () => {
    expect(parseClientHello(opensslHello)).toMatchObject({ status: "ok", sni: "mixed.example.com" });
  });

  test("reads SNI and the offered ALPN list", () => {
    expect(parseClientHello(opensslAlpnHello)).toEqual({ status: "ok", sni: "a.example.com", alpn: ["h2", "http/1.1"] });
  });

  test("reads SNI and ALPN from Bun's own TLS client", () => {
    expect(parseClientHello(bunHello)).toEqual({ status: "ok", sni: "bun.example.com", alpn: ["h2", "http/1.1"] });
  });

  test("reads SNI from a TLS 1.2-only hello", () => {
    expect(parseClientHello(tls12Hello)).toMatchObject({ status: "ok", sni: "legacy.example.com" });
  });

  test("reports no_sni for a hello without server_name", () => {
    expect(parseClientHello(opensslNoSni).status).toBe("no_sni");
  });

  test("reports no_sni for a legacy hello with no extensions", () => {
    expect(parseClientHello(legacyHello()).status).toBe("no_sni");
  });
});

describe("incomplete and fragmented input", () => {
  test("asks for more at every prefix, with a need that never overshoots", () => {
    for (const hello of [opensslHello, bunHello]) {
      for (let n = 0; n < hello.length; n++) {
        const r = parseClientHello(hello.subarray(0, n));
        expect(r.status).toBe("need_more");
        expect(r.need!).toBeGreaterThan(n);
        expect(r.need!).toBeLessThanOrEqual(hello.length);
      }
      expect(parseClientHello(hello).status).toBe("ok");
    }
  });

  test("reassembles a hello split over records of 1, 2, 3, 7 and 100 bytes", () => {
    for (const sizes of [[1], [2], [3], [7], [100], [1, 50, 2]]) {
      const frag = refragment(bunHello, sizes);
      expect(parseClientHello(frag)).toEqual({ status: "ok", sni: "bun.example.com", alpn: ["h2", "http/1.1"] });
      expectInside(frag);
      for (let n = 0; n < frag.length; n += 97) {
        const r = parseClientHello(frag.subarray(0, n));
        expect(r.status).toBe("need_more");
        expect(r.need!).toBeLessThanOrEqual(frag.length);
      }
    }
  });
});

describe("garbage and lies", () => {
  test("rejects plain HTTP and random bytes as not TLS on the first byte", () => {
    expect(parseClientHello(new TextEncoder().encode("GET / HTTP/1.1\r\n")).status).toBe("not_tls");
    expect(parseClientHello(new Uint8Array([0x80, 0x2e, 0x01])).status).toBe("not_tls");
    expect(parseClientHello(new Uint8Array([22, 9])).status).toBe("not_tls");
  });

  test("rejects empty or oversized records and non-hello handshakes", () => {
    expect(parseClientHello(new Uint8Array([22, 3, 1, 0, 0])).status).toBe("malformed");
    expect(parseClientHello(new Uint8Array([22, 3, 1, 0x40, 1])).status).toBe("malformed");
    expect(parseClientHello(new Uint8Array([22, 3, 1, 0, 4, 2, 0, 0, 0])).status).toBe("malformed");
  });

  test("rejects a fragmented hello interleaved with another record type", () => {
    const frag = refragment(opensslHello, [10]);
    frag[15] = 23; // the second record claims to be application data
    expect(parseClientHello(frag).status).toBe("malformed");
  });

  test("rejects a hello whose extensions length lies", () => {
    const lie = opensslHello.slice();
    // legacy_version(2) random(32) sid(1+n) suites(2+n) compression(1+n) then extensions length.
    let p = 9 + 34;
    p += 1 + lie[p]!;
    p += 2 + ((lie[p]! << 8) | lie[p + 1]!);
    p += 1 + lie[p]!;
    lie[p + 1] = lie[p + 1]! + 1;
    expect(parseClientHello(lie).status).toBe("malformed");
  });

  test("rejects a hello that claims more than the scratch cap", () => {
    expect(parseClientHello(new Uint8Array([22, 3, 1, 0, 4, 1, 0x10, 0, 0])).status).toBe("malformed");
  });

  test("turns a hello still incomplete at the cap into malformed", () => {
    // 1-byte records cost 6 input bytes per hello byte, so 16,000 hello bytes never fit the cap.
    const parts: number[] = [];
    const hs = [1, 0, 16000 >> 8, 16000 & 0xff];
    for (let i = 0; parts.length < CLIENT_HELLO_CAP + 100; i++) parts.push(22, 3, 1, 0, 1, hs[i] ?? 0);
    const r = parseClientHelloRaw(new Uint8Array(parts));
    expect(r.status).toBe(1); // the kernel alone still waits
    expect(parseClientHello(new Uint8Array(parts)).status).toBe("malformed");
  });
});

describe("fuzzing against the oracle", () => {
  function mutate(src: Uint8Array, rnd: () => number): Uint8Array {
    const b = src.slice(0, Math.max(1, Math.floor(rnd() * 1.2 * src.length)));
    const edits = 1 + Math.floor(rnd() * 4);
    for (let i = 0; i < edits; i++) {
      const at = Math.floor(rnd() * b.length);
      const kind = rnd();
      if (kind < 0.5) b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8));
      else if (kind < 0.8) b[at] = Math.floor(rnd() * 256); // length-field edits land here too
      else b[at] = rnd() < 0.5 ? 0 : 0xff;
    }
    return b;
  }

  test("never throws, stays in bounds and agrees with the oracle on 20,000 mutations", () => {
    let seed = 0x2545f491;
    const rnd = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 4294967296;
    };
    const corpus = [opensslHello, opensslAlpnHello, opensslNoSni, bunHello, tls12Hello, legacyHello(),
      refragment(bunHello, [3]), refragment(opensslAlpnHello, [64, 1]), refragment(bunHello, [200])];
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const input = mutate(corpus[i % corpus.length]!, rnd);
      const got = parseClientHello(input);
      const want = oracleClientHello(input);
      if (got.status !== want.status || got.sni !== want.sni || String(got.alpn) !== String(want.alpn)) {
        throw new Error(`mismatch on ${Buffer.from(input).toString("hex")}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      }
      expectInside(input);
      seen.add(got.status);
    }
    // The mutations must reach every verdict, or the fuzz test is not exercising the parser.
    expect([...seen].sort()).toEqual(["malformed", "need_more", "no_sni", "not_tls", "ok"]);
  });
});
