/**
 * The connection's stream table (open addressing, backward-shift deletion) against a Map, over
 * the shapes a connection sees: ids rising by 2 with a window of open streams, a long-lived stream
 * whose id collides with later ones, growth past its first slots, and random churn. And a recycled
 * stream object comes back as a new one would be.
 */
import { describe, expect, test } from "bun:test";
import { H2Stream, StreamState, recycleStream, takeStream } from "../../src/h2/stream.ts";
import { StreamTable } from "../../src/h2/stream-table.ts";

function same(t: StreamTable, m: Map<number, H2Stream>, probe: number[]): void {
  expect(t.size).toBe(m.size);
  for (const id of probe) expect(t.get(id)).toBe(m.get(id));
  expect(new Set(t.list())).toEqual(new Set(m.values()));
  let walked = 0;
  for (let i = 0; i < t.slotCount; i++) if (t.slot(i) !== null) walked++;
  expect(walked).toBe(m.size);
}

describe("StreamTable", () => {
  test("a sliding window of open streams, with one long-lived stream colliding with later ids", () => {
    const t = new StreamTable(), m = new Map<number, H2Stream>();
    const keep = new H2Stream(1, 0, 0);
    t.add(keep);
    m.set(1, keep);
    const open: number[] = [];
    for (let id = 3; id < 4_000; id += 2) {
      const s = new H2Stream(id, 0, 0);
      t.add(s);
      m.set(id, s);
      open.push(id);
      if (open.length > 10) {
        const gone = open.shift()!;
        expect(t.delete(gone)).toBe(true);
        m.delete(gone);
      }
      if (id % 97 === 0) same(t, m, [1, id - 22, id, id + 2, id - 2]);
    }
    same(t, m, [1, ...open, 0, 2, 5]);
    expect(t.delete(5)).toBe(false);
  });

  test("random adds and deletes, past several growths, agree with a Map", () => {
    const t = new StreamTable(), m = new Map<number, H2Stream>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 20_000; i++) {
      const id = 2 * rnd(300) + 1;
      if (m.has(id)) {
        expect(t.delete(id)).toBe(true);
        m.delete(id);
      } else {
        const s = new H2Stream(id, 0, 0);
        t.add(s);
        m.set(id, s);
      }
      if (i % 500 === 0) same(t, m, Array.from({ length: 40 }, () => 2 * rnd(300) + 1));
    }
    same(t, m, Array.from({ length: 300 }, (_, k) => 2 * k + 1));
  });
});

describe("recycled streams", () => {
  test("a recycled stream comes back fresh for its new id; an open or waiting one is never kept", () => {
    const s = takeStream(1, 100, 200);
    s.state = StreamState.HalfClosedLocal;
    s.received = 5;
    s.paused = true;
    s.enqueue(Buffer.from("abc"), 0, 3);
    recycleStream(s); // not closed: not kept
    expect(takeStream(3, 1, 1)).not.toBe(s);
    s.state = StreamState.Closed;
    s.waiting = true;
    recycleStream(s); // still in its connection's waiting list: not kept
    expect(takeStream(3, 1, 1)).not.toBe(s);
    s.waiting = false;
    recycleStream(s);
    const again = takeStream(7, 300, 400);
    expect(again).toBe(s);
    const fresh = new H2Stream(7, 300, 400);
    for (const [k, v] of Object.entries(fresh)) if (k !== "head") expect([k, (again as unknown as Record<string, unknown>)[k]]).toEqual([k, v]);
  });
});
