import { afterAll, describe, expect, test } from "bun:test";
import { LbError } from "../../src/errors.ts";
import { ConnGroup, UpstreamPool, type ConnLimits, type ConnOverflowKind, type ConnWaiter, type UpstreamConn } from "../../src/l7/index.ts";
import { CircuitBreaker } from "../../src/limits/index.ts";

/** A waiting request that records what it was given. */
class Waiter implements ConnWaiter {
  granted: UpstreamConn | null = null;
  failed: LbError | null = null;
  onUpstreamGranted(conn: UpstreamConn) { this.granted = conn; }
  onUpstreamWaitFailed(err: LbError) { this.failed = err; }
  onUpstreamData() {}
  onUpstreamDrain() {}
  onUpstreamClose() {}
  onHead() {}
  onBody() {}
  onEnd() {}
}

/** Caps as a pool's circuit breaker sets them, with the overflow kinds it was told about. */
function caps(maxConnections: number, maxPendingRequests: number): ConnLimits & { kinds: string[] } {
  const kinds: string[] = [];
  const breaker = new CircuitBreaker({ maxConnections, maxPendingRequests, maxRequests: Infinity });
  const count = breaker.countOverflow.bind(breaker);
  return Object.assign(breaker, { kinds, countOverflow: (k: ConnOverflowKind) => { kinds.push(k); count(k); } });
}

/** A backend that accepts connections and never answers (the tests only hold connections). */
function listener() {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  return { server, address: `127.0.0.1:${server.port}` };
}

const a = listener(), b = listener();
const pools: UpstreamPool[] = [];
function newPool(): UpstreamPool {
  const p = new UpstreamPool();
  pools.push(p);
  return p;
}

afterAll(() => {
  for (const p of pools) p.close();
  a.server.stop(true);
  b.server.stop(true);
});

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await Bun.sleep(10);
}

describe("connection groups (L7 circuit breaking)", () => {
  test("at max_connections requests wait in FIFO order, up to max_pending_requests, and get freed connections", async () => {
    const pool = newPool(), l = caps(2, 2), g = new ConnGroup(l);
    const ws = Array.from({ length: 5 }, () => new Waiter());
    const c1 = pool.claim(a.address, ws[0]!, 0, g) as UpstreamConn;
    const c2 = pool.claim(a.address, ws[1]!, 0, g) as UpstreamConn;
    expect(pool.claim(a.address, ws[2]!, 0, g)).toBeNull();
    expect(pool.claim(a.address, ws[3]!, 0, g)).toBeNull();
    const refused = pool.claim(a.address, ws[4]!, 0, g);
    expect(refused).toBeInstanceOf(LbError);
    expect((refused as LbError).code).toBe("OVERFLOW");
    expect([l.connections, l.pending]).toEqual([2, 2]);
    expect(l.kinds).toEqual(["connections", "connections", "connections", "pending"]);
    await until(() => c1.state === 1 && c2.state === 1);
    pool.release(c1, true);
    await until(() => ws[2]!.granted !== null);
    expect(ws[2]!.granted).toBe(c1); // the oldest waiter, on the very connection given back
    expect(ws[3]!.granted).toBeNull();
    c2.destroy();
    await until(() => ws[3]!.granted !== null);
    expect(ws[3]!.granted).not.toBe(c2); // a new connection in the closed one's slot
    expect([l.connections, l.pending]).toEqual([2, 0]);
  });

  test("an idle connection to another backend is closed to make room", async () => {
    const pool = newPool(), l = caps(1, 1), g = new ConnGroup(l);
    const c1 = pool.claim(a.address, new Waiter(), 0, g) as UpstreamConn;
    await until(() => c1.state === 1);
    pool.release(c1, true);
    expect(pool.idleCount(a.address, g)).toBe(1);
    const c2 = pool.claim(b.address, new Waiter(), 0, g) as UpstreamConn;
    expect(c2.address).toBe(b.address);
    expect(c1.state).toBe(2); // closed
    expect(pool.idleCount(a.address, g)).toBe(0);
    expect(l.connections).toBe(1);
  });

  test("a wait past its connect timeout fails with OVERFLOW; a cancelled wait is never granted", async () => {
    const pool = newPool(), l = caps(1, 2), g = new ConnGroup(l);
    const c1 = pool.claim(a.address, new Waiter(), 0, g) as UpstreamConn;
    const late = new Waiter(), gone = new Waiter();
    expect(pool.claim(a.address, late, 100, g)).toBeNull();
    expect(pool.claim(a.address, gone, 5000, g)).toBeNull();
    g.cancel(gone);
    expect(l.pending).toBe(1);
    await until(() => late.failed !== null, 1000);
    expect(late.failed?.code).toBe("OVERFLOW");
    expect(l.pending).toBe(0);
    expect(l.kinds).toContain("pending_timeout");
    await until(() => c1.state === 1);
    pool.release(c1, true);
    await Bun.sleep(20);
    expect(gone.granted).toBeNull();
    expect(pool.idleCount(a.address, g)).toBe(1);
  });
});
