/** UDP helpers for L4 tests: echo backends that tag replies, and clients that collect replies. */
import dgram from "node:dgram";

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
