/**
 * SocketWriter over a real loopback connection: what one corked batch costs in socket writes
 * (each is a send syscall and, with Nagle off, its own packet) and that every byte arrives in order.
 */
import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { SocketWriter } from "../../src/l7/writer.ts";

/** A loopback server of its own and a client socket whose writer counts the socket writes it makes. */
async function connectCounted(): Promise<{ writer: SocketWriter; writes: () => number; received: Buffer[]; close: () => void }> {
  const received: Buffer[] = [];
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data(_s, d) { received.push(Buffer.from(d)); } },
  });
  let writes = 0;
  let writer: SocketWriter | null = null;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.port,
    socket: { data() {}, drain() { writer?.flush(); } },
  });
  const counted = {
    write: (b: Buffer, off: number, len: number) => (writes++, socket.write(b, off, len)),
    end: () => socket.end(),
  };
  writer = new SocketWriter({ onWriterDrained() {} });
  writer.attach(counted as unknown as Socket<unknown>);
  return { writer, writes: () => writes, received, close: () => (socket.end(), server.stop(true)) };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(5);
  }
}

test("a head of many pieces before a body longer than the gather scratch leaves in two writes, not one per piece", async () => {
  const { writer, writes, received, close } = await connectCounted();
  try {
    const head = Buffer.from("HTTP/1.1 200 OK\r\nserver: t\r\ncontent-type: text/plain\r\nx-drop: 1\r\ncontent-length: 70000\r\n");
    const body = Buffer.alloc(70_000, 0x61);
    for (let i = 0; i < body.length; i += 997) body[i] = 0x30 + (i % 10); // order shows in the bytes
    writer.cork();
    writer.write(head, 0, 17); // status line
    writer.write(head, 17, 56); // a run of kept fields
    writer.writeString("x-added: yes\r\n"); // a field the proxy adds
    writer.write(head, 68, head.length);
    writer.writeString("\r\n");
    writer.write(body);
    writer.uncork();
    // a partial write of the body leaves its rest for the drain; the pieces before it were one write
    expect(writes()).toBeLessThanOrEqual(2);
    const want = Buffer.concat([head.subarray(0, 56), Buffer.from("x-added: yes\r\n"), head.subarray(68), Buffer.from("\r\n"), body]);
    await until(() => received.reduce((n, b) => n + b.length, 0) >= want.length);
    expect(Buffer.concat(received).equals(want)).toBe(true);
  } finally {
    close();
  }
});

test("a short batch of pieces still leaves in one write", async () => {
  const { writer, writes, received, close } = await connectCounted();
  try {
    writer.cork();
    writer.writeString("GET / HTTP/1.1\r\n");
    writer.write(Buffer.from("host: a\r\n\r\n"));
    writer.write(Buffer.alloc(1000, 0x62));
    writer.uncork();
    expect(writes()).toBe(1);
    await until(() => received.reduce((n, b) => n + b.length, 0) >= 16 + 11 + 1000);
    expect(Buffer.concat(received).toString("latin1")).toBe(`GET / HTTP/1.1\r\nhost: a\r\n\r\n${"b".repeat(1000)}`);
  } finally {
    close();
  }
});
