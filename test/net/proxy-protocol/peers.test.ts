import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeProxyV1, encodeProxyV2, type ProxyAddress } from "../../../src/net/index.ts";
import { exchange, hasBinary, type Peer, startHaproxy, startNginx } from "../../l4/helpers/peers.ts";

const REQUEST = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n");
const cases: [string, (s: ProxyAddress, d: ProxyAddress) => Uint8Array, ProxyAddress, ProxyAddress][] = [
  ["v1 TCP4", (s, d) => encodeProxyV1(s, d), { ip: "192.0.2.10", port: 51000 }, { ip: "127.0.0.1", port: 80 }],
  ["v1 TCP6", (s, d) => encodeProxyV1(s, d), { ip: "2001:db8::10", port: 40001 }, { ip: "::1", port: 80 }],
  ["v2 TCP4", (s, d) => encodeProxyV2({ source: s, destination: d }), { ip: "203.0.113.7", port: 1234 }, { ip: "127.0.0.1", port: 80 }],
  ["v2 TCP6", (s, d) => encodeProxyV2({ source: s, destination: d }), { ip: "2001:db8:1::7", port: 65535 }, { ip: "::1", port: 80 }],
];

const haproxy = hasBinary("haproxy");
const nginx = hasBinary("nginx");
if (!haproxy) console.warn("skipping HAProxy peer tests: haproxy is not installed");
if (!nginx) console.warn("skipping nginx peer tests: nginx is not installed");

function body(response: string): string {
  return response.slice(response.indexOf("\r\n\r\n") + 4);
}

describe.skipIf(!haproxy)("HAProxy accept-proxy reads our headers", () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startHaproxy((port) => `frontend fe\n  bind 127.0.0.1:${port} accept-proxy\n` +
      `  http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"`);
  });
  afterAll(() => peer?.stop());

  for (const [name, encode, src, dst] of cases) {
    test(`sees the client address of a ${name} header`, async () => {
      const res = await exchange(peer.port, new Uint8Array([...encode(src, dst), ...REQUEST]));
      expect(res.startsWith("HTTP/1.1 200")).toBe(true);
      expect(body(res)).toBe(`${src.ip}:${src.port}`);
    });
  }

  test("refuses a connection whose header is garbage", async () => {
    const res = await exchange(peer.port, new TextEncoder().encode("PROXY TCP4 nonsense\r\n"));
    expect(res.startsWith("HTTP/1.1 200")).toBe(false);
  });
});

describe.skipIf(!nginx)("nginx listen proxy_protocol reads our headers", () => {
  let peer: Peer;
  beforeAll(async () => {
    peer = await startNginx((port) => `  server {\n    listen 127.0.0.1:${port} proxy_protocol;\n` +
      `    location / { return 200 "$proxy_protocol_addr:$proxy_protocol_port"; }\n  }`);
  });
  afterAll(() => peer?.stop());

  for (const [name, encode, src, dst] of cases) {
    test(`sees the client address of a ${name} header`, async () => {
      const res = await exchange(peer.port, new Uint8Array([...encode(src, dst), ...REQUEST]));
      expect(res.startsWith("HTTP/1.1 200")).toBe(true);
      expect(body(res)).toBe(`${src.ip}:${src.port}`);
    });
  }
});
