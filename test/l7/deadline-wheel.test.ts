/**
 * The L7 deadline wheel (issue 17): a sweep visits what is due, not every connection, and a
 * deadline still fires on the first sweep after it, as the full walk it replaced did.
 */
import { describe, expect, test } from "bun:test";
import { DeadlineWheel, type Wheeled } from "../../src/l7/deadline-wheel.ts";
import { startProxy } from "../../src/l7/index.ts";
import { startOrigin } from "../helpers/origin.ts";
import { rawClient, type RawClient } from "../integration/helpers/raw-client.ts";

/** A connection's clock as the sweep sees it: fires once `now > deadline`, else is filed again. */
class Item implements Wheeled {
  wheelSlot = 0;
  wheelPrev: Wheeled | null = null;
  wheelNext: Wheeled | null = null;
  firedAt = 0;
  constructor(public deadline: number) {}
}

/** Sweeps `w` every `tick` ms from `from` to `to` with the visitor a session has. */
function run(w: DeadlineWheel<Item>, from: number, to: number, tick: number): void {
  for (let now = from; now <= to; now += tick) {
    w.sweep(now, (it) => {
      if (it.deadline !== 0 && now > it.deadline) {
        it.firedAt = now;
        it.deadline = 0;
      }
      w.file(it, it.deadline);
    });
  }
}

describe("DeadlineWheel", () => {
  test("a sweep visits the items that are due, not the 10,000 that are not", () => {
    const w = new DeadlineWheel<Item>(250, 0);
    const idle = Array.from({ length: 10_000 }, () => new Item(60_000));
    const soon = Array.from({ length: 10 }, (_, i) => new Item(900 + i * 10));
    for (const it of [...idle, ...soon]) w.file(it, it.deadline);
    run(w, 0, 2_000, 250);
    expect(soon.every((it) => it.firedAt === 1_000)).toBe(true);
    expect(idle.every((it) => it.firedAt === 0)).toBe(true);
    expect(w.visits).toBeLessThanOrEqual(2 * soon.length);
  });

  test("a deadline fires on the first sweep after it, whatever the sweeps' phase", () => {
    for (const phase of [0, 1, 97, 249]) {
      for (const d of [1_000, 1_001, 1_249, 1_250, 1_251, 7_777]) {
        const w = new DeadlineWheel<Item>(250, phase);
        const it = new Item(d);
        w.file(it, d);
        run(w, phase, 10_000, 250);
        const first = phase + Math.ceil((d + 1 - phase) / 250) * 250;
        expect({ phase, d, fired: it.firedAt }).toEqual({ phase, d, fired: first });
      }
    }
  });

  test("a deadline pushed later stays filed (one visit re-files it); one brought earlier moves", () => {
    const w = new DeadlineWheel<Item>(250, 0);
    const later = new Item(1_000), earlier = new Item(60_000);
    w.file(later, 1_000);
    w.file(earlier, 60_000);
    later.deadline = 5_000;
    w.file(later, 5_000);
    earlier.deadline = 2_000;
    w.file(earlier, 2_000);
    run(w, 0, 6_000, 250);
    expect(later.firedAt).toBe(5_250);
    expect(earlier.firedAt).toBe(2_250);
    expect(w.visits).toBeLessThanOrEqual(5); // later: at 1 s (re-filed), 5 s, 5.25 s; earlier: 2 s, 2.25 s
  });

  test("a deadline beyond the wheel's horizon fires on time; a retired item never comes back", () => {
    const w = new DeadlineWheel<Item>(250, 0, 16);
    const far = new Item(3_600_000), gone = new Item(500);
    w.file(far, far.deadline);
    w.file(gone, gone.deadline);
    w.retire(gone);
    w.file(gone, 500);
    run(w, 0, 3_601_000, 250);
    expect(far.firedAt).toBe(3_600_250);
    expect(gone.firedAt).toBe(0);
    expect(w.visits).toBeLessThan(3_600_000 / (250 * 15) + 2);
  });
});

test("a listener's sweep looks at the few connections whose head is late, not the 300 idle ones", async () => {
  const origin = startOrigin({ fetch: () => new Response("ok") });
  const proxy = startProxy({ hooks: { selectUpstream: () => ({ address: origin.address }) }, timeouts: { headerMs: 600, idleMs: 60_000 } });
  const clients: RawClient[] = [];
  try {
    for (let i = 0; i < 300; i++) clients.push(await rawClient(proxy.port));
    for (const c of clients) c.write("GET / HTTP/1.1\r\nhost: a\r\n\r\n");
    for (const c of clients) await c.waitFor("ok", 5000);
    // each was filed at its first header deadline and is re-filed once at its idle one
    await Bun.sleep(1_200);
    const before = proxy.sweepVisits();
    const slow = await Promise.all([1, 2, 3].map(() => rawClient(proxy.port)));
    for (const c of slow) c.write("GET / HTTP/1.1\r\nhost: a\r\n");
    for (const c of slow) await c.waitClosed(5000);
    await Bun.sleep(500);
    expect(slow.every((c) => c.text().startsWith("HTTP/1.1 408"))).toBe(true);
    // a walk of every connection would be 300 per tick, over 1,500 here
    expect(proxy.sweepVisits() - before).toBeLessThanOrEqual(12);
    expect(proxy.connections()).toBe(300);
  } finally {
    for (const c of clients) c.end();
    proxy.stop(true);
    origin.stop();
  }
}, 20_000);
