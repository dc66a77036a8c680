/**
 * An HTTP/2 connection's output is held for the rest of the event-loop turn (one write for every
 * stream answered in it), but never more than MAX_HOLD_MS of it: in a long turn (hundreds of
 * backend sockets after a collection) the answers relayed first would otherwise wait for the last
 * (issue 15, the p99). Over a real loopback socket; the long turn is a busy wait, so the test does
 * not depend on how loaded the machine is.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { MAX_HOLD_MS, TickOutput } from "../../src/l7/tick-output.ts";
import { SocketWriter } from "../../src/l7/writer.ts";

let server: TCPSocketListener<undefined>;
let received = 0;

beforeAll(() => {
  server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: { data(_s, d) { received += d.length; } },
  });
});

afterAll(() => {
  server.stop(true);
});

async function connect(): Promise<{ out: TickOutput; writer: SocketWriter; socket: Socket<undefined> }> {
  const socket = await Bun.connect({ hostname: "127.0.0.1", port: server.port, socket: { data() {} } });
  const writer = new SocketWriter({ onWriterDrained() {} });
  writer.attach(socket as Socket<unknown>);
  return { out: new TickOutput(writer), writer, socket };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function waitReceived(n: number): Promise<void> {
  for (let i = 0; i < 200 && received < n; i++) await Bun.sleep(10);
  expect(received).toBe(n);
}

describe("TickOutput", () => {
  test("output held longer than MAX_HOLD_MS leaves as soon as the current callback returns, not at the turn's end", async () => {
    const { out, writer, socket } = await connect();
    received = 0;
    let turnEnded = false;
    setImmediate(() => (turnEnded = true));
    out.write(Buffer.alloc(100, 1), 0, 100);
    const t0 = performance.now();
    while (performance.now() - t0 < 3 * MAX_HOLD_MS); // a long turn: other sockets being relayed
    out.write(Buffer.alloc(50, 2), 0, 50);
    expect(writer.sent).toBe(0); // nothing under the caller: it may still be writing
    await Promise.resolve();
    expect(turnEnded).toBe(false);
    expect(writer.sent).toBe(150);
    // what the rest of the turn writes is a new batch, held again
    out.write(Buffer.alloc(10, 3), 0, 10);
    await nextTurn();
    expect(writer.sent).toBe(160);
    await waitReceived(160);
    socket.end();
  });

  test("writes of a short turn leave together at its end", async () => {
    const { out, writer, socket } = await connect();
    received = 0;
    // a host pause between the two writes can make even this turn long: one clean try is enough
    let held = false;
    let total = 0;
    for (let attempt = 0; attempt < 5 && !held; attempt++) {
      const before = writer.sent;
      out.write(Buffer.alloc(100, 1), 0, 100);
      out.write(Buffer.alloc(100, 2), 0, 100);
      total += 200;
      await Promise.resolve();
      held = writer.sent === before;
      await nextTurn();
      expect(writer.sent).toBe(total);
    }
    expect(held).toBe(true);
    await waitReceived(total);
    socket.end();
  });
});
