/**
 * Relayed bytes must not wait for Nagle's algorithm: both of the relay's sockets (the accepted
 * client's and its upstream's) have TCP_NODELAY, as the kernel reports it.
 */
import { afterEach, expect, test } from "bun:test";
import { startTcpRelay } from "../../src/l4/index.ts";
import { connectClient, echoBackend } from "./helpers/backends.ts";
import { noDelay, ownSockets } from "./helpers/sockopt.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

test.skipIf(process.platform !== "linux")("the relay's client and upstream sockets both have TCP_NODELAY", async () => {
  const echo = echoBackend();
  cleanups.push(() => echo.stop(true));
  const r = startTcpRelay({ hostname: "127.0.0.1", port: 0, choose: () => ({ host: "127.0.0.1", port: echo.port }) });
  cleanups.push(() => r.stop(true));
  const c = await connectClient(r.port);
  cleanups.push(() => c.socket.terminate());
  c.socket.write("ping");
  await c.waitFor("ping");
  const socks = ownSockets();
  // The relay's side of the client connection, and its connection to the backend (not the backend's end of it).
  const client = socks.filter((s) => s.localPort === r.port);
  const upstream = socks.filter((s) => s.peerPort === echo.port);
  expect(client.length).toBe(1);
  expect(upstream.length).toBe(1);
  expect(noDelay(client[0]!.fd)).toBe(true);
  expect(noDelay(upstream[0]!.fd)).toBe(true);
  c.socket.setNoDelay(false); // the check can see it off
  const mine = ownSockets().filter((s) => s.peerPort === r.port);
  expect(mine.length).toBe(1);
  expect(noDelay(mine[0]!.fd)).toBe(false);
});
