/** UDP helpers for L4 tests: echo backends that tag replies, and clients that collect replies. */
import dgram from "node:dgram";
import { startUdpRelay, type UdpRelay, type UdpRelayOptions, type UpstreamAddress } from "../../../src/l4/index.ts";

/** An echo backend answering `${name}:${payload}`; `stop()` closes it. */
export async function udpEcho(name: string): Promise<{ port: number; received: () => number; stop(): void }> {
  const sock = dgram.createSocket("udp4");
  let received = 0;
  sock.on("message", (m, r) => {
    received++;
    sock.send(`${name}:${m.toString()}`, r.port, r.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  return { port: sock.address().port, received: () => received, stop: () => sock.close() };
}

/** A client socket that records every reply it gets. */
export async function udpClient(): Promise<{ sock: dgram.Socket; replies: string[]; port: number; send(port: number, text: string): void; close(): void }> {
  const sock = dgram.createSocket("udp4");
  const replies: string[] = [];
  sock.on("message", (m) => replies.push(m.toString()));
  await new Promise<void>((resolve) => sock.bind(0, "127.0.0.1", () => resolve()));
  return {
    sock,
    replies,
    port: sock.address().port,
    send: (port, text) => sock.send(text, port, "127.0.0.1"),
    close: () => sock.close(),
  };
}

/** Polls `cond` every 5 ms for up to `ms`; throws `what` on timeout. */
export async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await Bun.sleep(5);
  }
}

/** What a test file registers to run after each test (stop relays, close sockets). */
export type Cleanups = (() => unknown)[];

/** A udp relay on 127.0.0.1, port 0, stopped by `cleanups`. */
export async function testRelay<B extends UpstreamAddress>(cleanups: Cleanups, opts: Partial<UdpRelayOptions<B>> & Pick<UdpRelayOptions<B>, "choose">): Promise<UdpRelay<B>> {
  const r = await startUdpRelay<B>({ hostname: "127.0.0.1", port: 0, ...opts });
  cleanups.push(() => r.stop());
  return r;
}

/** `n` udp clients, closed by `cleanups`. */
export async function testClients(cleanups: Cleanups, n: number): Promise<Awaited<ReturnType<typeof udpClient>>[]> {
  const cs = await Promise.all(Array.from({ length: n }, () => udpClient()));
  cleanups.push(() => cs.forEach((c) => c.close()));
  return cs;
}
