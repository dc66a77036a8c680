/**
 * The TCP relay's sweeper stays short with many connections open (issue 17): it walks every
 * connection with a deadline near (preamble, connect, closing) on each tick, but the relaying ones
 * only a slice at a time for their idle timeout. Before, every tick walked every connection:
 * ~60 ns each, 6 ms at 100,000, a stall for every request arriving meanwhile.
 */
import { afterAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { IDLE_SLICE_MIN, startTcpRelay } from "../../src/l4/index.ts";
import { TcpConn } from "../../src/l4/tcp-conn.ts";

const CONNS = 1500;
const backend = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
const relay = startTcpRelay({ hostname: "127.0.0.1", port: 0, idleTimeoutMs: 60_000, choose: () => ({ host: "127.0.0.1", port: backend.port }) });
const clients: Socket<undefined>[] = [];
afterAll(() => {
  for (const c of clients) c.terminate();
  relay.stop(true);
  backend.stop(true);
});

test(`with ${CONNS} relaying connections, each sweep checks a slice of them, not all`, async () => {
  for (let i = 0; i < CONNS; i += 250) {
    const batch = Array.from({ length: Math.min(250, CONNS - i) }, () => Bun.connect({ hostname: "127.0.0.1", port: relay.port, socket: { data() {} } }));
    clients.push(...(await Promise.all(batch)));
  }
  for (let i = 0; i < 200 && relay.stats.relayed < CONNS; i++) await Bun.sleep(25);
  expect(relay.stats.relayed).toBe(CONNS);
  const tick = TcpConn.prototype.tick;
  let calls = 0;
  TcpConn.prototype.tick = function (this: TcpConn<never>, now: number) {
    calls++;
    return tick.call(this, now);
  };
  try {
    // Four or five ticks of 500 ms: a full walk each time would be 6,000 calls and more.
    await Bun.sleep(2200);
  } finally {
    TcpConn.prototype.tick = tick;
  }
  expect(calls).toBeGreaterThan(0);
  expect(calls).toBeLessThanOrEqual(5 * IDLE_SLICE_MIN);
  expect(relay.stats.active).toBe(CONNS);
}, 30_000);
