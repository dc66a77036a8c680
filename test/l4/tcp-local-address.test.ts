/**
 * A connection's local address (destIp/destPort, part of its conntrack tuple) comes from the
 * listener's bind when that fixes it, saving two getsockname calls per connection, and from the
 * socket itself when the listener is bound to a wildcard.
 */
import { afterEach, expect, test } from "bun:test";
import { boundLocalIp, startTcpRelay, type ConnInfo } from "../../src/l4/index.ts";
import { connectClient, echoBackend } from "./helpers/backends.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

test("a specific IP fixes the local address; a wildcard or a name does not", () => {
  expect(boundLocalIp("127.0.0.1")).toBe("127.0.0.1");
  expect(boundLocalIp("::1")).toBe("::1");
  expect(boundLocalIp("0:0:0:0:0:0:0:1")).toBe("::1"); // the form sockets report
  expect(boundLocalIp("0.0.0.0")).toBeUndefined();
  expect(boundLocalIp("::")).toBeUndefined();
  expect(boundLocalIp("::ffff:0.0.0.0")).toBeUndefined();
  expect(boundLocalIp("localhost")).toBeUndefined();
});

async function seenBy(hostname: string): Promise<{ info: ConnInfo; port: number }> {
  const echo = echoBackend();
  cleanups.push(() => echo.stop(true));
  const seen: ConnInfo[] = [];
  const r = startTcpRelay({ hostname, port: 0, choose: (c) => (seen.push(c), { host: "127.0.0.1", port: echo.port }) });
  cleanups.push(() => r.stop(true));
  const c = await connectClient(r.port);
  cleanups.push(() => c.socket.terminate());
  c.socket.write("x");
  await c.waitFor("x");
  return { info: seen[0]!, port: r.port };
}

test("a listener bound to 127.0.0.1 gives its connections that local address and its port", async () => {
  const { info, port } = await seenBy("127.0.0.1");
  expect(info).toMatchObject({ destIp: "127.0.0.1", destPort: port, peerIp: "127.0.0.1" });
  expect([...info.tuple().subarray(16, 32)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1]);
});

test("a listener bound to 0.0.0.0 reads each connection's local address from its socket", async () => {
  const { info, port } = await seenBy("0.0.0.0");
  expect(info).toMatchObject({ destIp: "127.0.0.1", destPort: port });
});
