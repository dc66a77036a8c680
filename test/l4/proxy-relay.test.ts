import { afterEach, expect, test } from "bun:test";
import { type ConnInfo, type RejectReason, startTcpRelay, type TcpRelayOptions, type UpstreamAddress } from "../../src/l4/index.ts";
import { CidrList, encodeProxyV1, encodeProxyV2 } from "../../src/net/index.ts";
import { connectClient, echoBackend, recordingBackend } from "./helpers/backends.ts";
import { hasBinary, type Peer, startHaproxy } from "./helpers/peers.ts";
import { captureHello, opensslClient } from "./helpers/tls.ts";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Opts = Partial<TcpRelayOptions<UpstreamAddress>> & Pick<TcpRelayOptions<UpstreamAddress>, "choose">;
function relay(opts: Opts) {
  const r = startTcpRelay({ hostname: "127.0.0.1", port: 0, ...opts });
  cleanups.push(() => r.stop(true));
  return r;
}
const at = (port: number): UpstreamAddress => ({ host: "127.0.0.1", port });
const loopback = new CidrList(["127.0.0.0/8", "::1"]);

test("takes the client identity from a trusted v2 header and forwards only what follows it", async () => {
  const rec = recordingBackend();
  cleanups.push(() => rec.stop(true));
  const seen: ConnInfo[] = [];
  const r = relay({ acceptProxy: { trusted: loopback }, choose: (c) => (seen.push(c), at(rec.port)) });
  const c = await connectClient(r.port);
  const header = encodeProxyV2({ source: { ip: "198.51.100.7", port: 4242 }, destination: { ip: "203.0.113.1", port: 443 } });
  c.socket.write(header.subarray(0, 7));
  await Bun.sleep(5);
  c.socket.write(new Uint8Array([...header.subarray(7), ...new TextEncoder().encode("payload")]));
  for (let i = 0; i < 200 && (rec.received[0]?.length ?? 0) < 7; i++) await Bun.sleep(5);
  expect(new TextDecoder().decode(new Uint8Array(rec.received[0]!))).toBe("payload");
  expect(seen[0]).toMatchObject({ clientIp: "198.51.100.7", clientPort: 4242, destIp: "203.0.113.1", destPort: 443, peerIp: "127.0.0.1" });
  expect(Array.from(seen[0]!.tuple().subarray(12, 16))).toEqual([198, 51, 100, 7]);
});

test("closes untrusted peers and clients without a header, before choosing", async () => {
  const reasons: RejectReason[] = [];
  let chosen = 0;
  const hooks = { onReject: (_c: unknown, why: RejectReason) => void reasons.push(why) };
  const strict = relay({ acceptProxy: { trusted: new CidrList(["10.0.0.0/8"]) }, choose: () => (chosen++, at(1)), hooks });
  const c1 = await connectClient(strict.port);
  c1.socket.write(encodeProxyV1({ ip: "192.0.2.1", port: 1 }, { ip: "192.0.2.2", port: 2 }));
  await c1.closed;
  const open = relay({ acceptProxy: { trusted: loopback }, choose: () => (chosen++, at(1)), hooks });
  const c2 = await connectClient(open.port);
  c2.socket.write("GET / HTTP/1.1\r\n\r\n");
  await c2.closed;
  expect(reasons).toEqual(["untrusted_peer", "bad_proxy_header"]);
  expect(chosen).toBe(0);
});

test("forms two tiers with itself: the inner relay sees the real client through PROXY v1", async () => {
  const echo = echoBackend();
  cleanups.push(() => echo.stop(true));
  const inner: ConnInfo[] = [];
  const tier2 = relay({ acceptProxy: { trusted: loopback }, choose: (c) => (inner.push(c), at(echo.port)) });
  const tier1 = relay({ sendProxy: "v1", choose: () => at(tier2.port) });
  const c = await connectClient(tier1.port);
  c.socket.write("through two tiers");
  await c.waitFor("through two tiers");
  expect(inner[0]).toMatchObject({ clientIp: "127.0.0.1", clientPort: c.socket.localPort });
  expect(inner[0]!.peerPort).not.toBe(c.socket.localPort);
});

test.skipIf(!hasBinary("haproxy"))("HAProxy behind the relay sees the client a trusted v1 header named (PROXY in, v2 out)", async () => {
  const peer: Peer = await startHaproxy((port) => `frontend fe\n  bind 127.0.0.1:${port} accept-proxy\n` +
    `  http-request return status 200 content-type text/plain lf-string "%[src]:%[src_port]"`);
  cleanups.push(() => peer.stop());
  const r = relay({ acceptProxy: { trusted: loopback }, sendProxy: "v2", choose: () => at(peer.port) });
  const c = await connectClient(r.port);
  c.socket.write(encodeProxyV1({ ip: "192.0.2.9", port: 1234 }, { ip: "192.0.2.1", port: 80 }));
  c.socket.write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  await c.closed;
  expect(c.text().startsWith("HTTP/1.1 200")).toBe(true);
  expect(c.text().endsWith("\r\n\r\n192.0.2.9:1234")).toBe(true);
});

test("reads a PROXY header and then a ClientHello on a TLS passthrough listener", async () => {
  const hello = await captureHello(opensslClient("combo.example.com"));
  const rec = recordingBackend();
  cleanups.push(() => rec.stop(true));
  const seen: ConnInfo[] = [];
  const r = relay({ acceptProxy: { trusted: loopback }, tlsPassthrough: true, choose: (c) => (seen.push(c), at(rec.port)) });
  const c = await connectClient(r.port);
  c.socket.write(new Uint8Array([...encodeProxyV1({ ip: "192.0.2.44", port: 5555 }, { ip: "192.0.2.1", port: 443 }), ...hello]));
  for (let i = 0; i < 200 && (rec.received[0]?.length ?? 0) < hello.length; i++) await Bun.sleep(5);
  expect(seen[0]).toMatchObject({ clientIp: "192.0.2.44", sni: "combo.example.com" });
  expect(Buffer.from(rec.received[0]!).equals(Buffer.from(hello))).toBe(true);
});
