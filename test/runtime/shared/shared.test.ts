import { describe, expect, test } from "bun:test";
import { ClientCounts, KeyTable, NodeCounters, SlotBook, scopeOf } from "../../../src/runtime/shared/index.ts";

const WORKER = new URL("./hammer-worker.ts", import.meta.url).href;

/** Runs `workers` hammer workers on one message each and returns their answers; every worker is terminated. */
async function race(workers: number, message: (w: number) => object): Promise<{ ok: number }[]> {
  const start = new SharedArrayBuffer(4);
  const ws = Array.from({ length: workers }, () => new Worker(WORKER));
  try {
    const answers = ws.map((w) => new Promise<{ ok: number }>((resolve, reject) => {
      w.onmessage = (e) => resolve(e.data);
      w.onerror = (e) => reject(new Error(e.message));
    }));
    ws.forEach((w, i) => w.postMessage({ ...message(i), start, workers, worker: i }));
    return await Promise.all(answers);
  } finally {
    for (const w of ws) w.terminate();
  }
}

describe("NodeCounters", () => {
  for (const n of [2, 4]) {
    test(`a cap holds exactly across ${n} workers racing for it`, async () => {
      const c = NodeCounters.create(64, n);
      const answers = await race(n, () => ({ kind: "counters", layout: c.layout(), slot: 3, cap: 1000, tries: 20_000 }));
      expect(answers.reduce((s, a) => s + a.ok, 0)).toBe(1000);
      expect(c.value(3)).toBe(1000);
      // Taken and given back as often as taken: nothing left, nothing below zero.
      expect(c.value(4)).toBe(0);
    }, 20_000);
  }

  test("reclaim gives back what a dead worker held, and only that", () => {
    const control = NodeCounters.create(8, 2);
    const w0 = NodeCounters.attach(control.layout(), 0);
    const w1 = NodeCounters.attach(control.layout(), 1);
    for (let i = 0; i < 3; i++) w0.tryAcquire(2, 10);
    w1.add(2, 4);
    expect(control.value(2)).toBe(7);
    expect(control.reclaim(1)).toBe(4);
    expect(control.value(2)).toBe(3);
    expect(w0.own(2)).toBe(3);
    expect(w1.own(2)).toBe(0);
  });

  test("a release without a unit held changes nothing", () => {
    const control = NodeCounters.create(8, 2);
    const w0 = NodeCounters.attach(control.layout(), 0);
    const w1 = NodeCounters.attach(control.layout(), 1);
    w0.tryAcquire(1, 5);
    expect(w1.release(1)).toBe(1);
    expect(control.value(1)).toBe(1);
    expect(w0.release(1)).toBe(0);
  });

  test("a local table works the same on one thread", () => {
    const c = NodeCounters.local(4);
    expect(c.tryAcquire(0, 2)).toBe(true);
    expect(c.tryAcquire(0, 2)).toBe(true);
    expect(c.tryAcquire(0, 2)).toBe(false);
    c.release(0);
    expect(c.value(0)).toBe(1);
  });
});

describe("SlotBook", () => {
  test("a name keeps its slot; a released slot is reused only once idle", () => {
    const c = NodeCounters.create(3, 1);
    const w = NodeCounters.attach(c.layout(), 0);
    const book = new SlotBook(c);
    const a = book.slotOf("a");
    expect(book.slotOf("a")).toBe(a);
    w.add(a, 1); // a request still holds a unit of a's slot
    book.retain((n) => n !== "a");
    const b = book.slotOf("b");
    const d = book.slotOf("d");
    expect([b, d]).not.toContain(a);
    expect(book.slotOf("e")).toBe(-1); // full: a's slot is still held
    w.release(a);
    expect(book.slotOf("e")).toBe(a);
  });
});

describe("SlotBook groups", () => {
  test("a group's names are handed out together; names it drops, and dropped groups, are released", () => {
    const c = NodeCounters.create(8, 1);
    const book = new SlotBook(c);
    const first = book.assign("app", ["app/conn", "app/10.0.0.1"]);
    expect(first.size).toBe(2);
    const again = book.assign("app", ["app/conn", "app/10.0.0.2"]);
    expect(again.get("app/conn")).toBe(first.get("app/conn"));
    expect(book.size).toBe(2);
    book.drop("app");
    expect(book.size).toBe(0);
  });
});

describe("KeyTable", () => {
  test("keys find their entry again; a full bucket gives its least recently used entry away", () => {
    const t = KeyTable.create(8, 2, "lru", false); // one bucket of 8
    for (let k = 1; k <= 8; k++) {
      const e = t.lock(k, k, k);
      expect(t.fresh).toBe(true);
      t.values[e * 2] = k;
      t.unlock(e);
    }
    const e1 = t.lock(1, 1, 100); // key 1 is now the most recently used
    expect(t.fresh).toBe(false);
    expect(t.values[e1 * 2]).toBe(1);
    t.unlock(e1);
    const e9 = t.lock(9, 9, 101);
    expect(t.fresh).toBe(true);
    t.unlock(e9);
    const e2 = t.lock(2, 2, 102); // key 2 was the oldest: it went
    expect(t.fresh).toBe(true);
    t.unlock(e2);
    expect(t.count()).toBe(8);
  });

  test("an idle-only table keeps entries in use and says when none can be taken", () => {
    const t = KeyTable.create(8, 1, "idle", false);
    for (let k = 1; k <= 8; k++) {
      const e = t.lock(k, 0, k);
      t.values[e] = 1;
      t.unlock(e);
    }
    expect(t.lock(9, 0, 9)).toBe(-1);
    const e3 = t.lock(3, 0, 10);
    t.values[e3] = 0;
    t.unlock(e3);
    expect(t.lock(9, 0, 11)).toBe(e3);
    t.unlock(e3);
  });
});

describe("ClientCounts", () => {
  for (const n of [2, 4]) {
    test(`a per-client cap holds exactly across ${n} workers`, async () => {
      const c = ClientCounts.create(4096, n);
      const answers = await race(n, () => ({ kind: "clients", layout: c.table.layout(), cap: 300, tries: 5_000 }));
      expect(answers.reduce((s, a) => s + a.ok, 0)).toBe(300);
      expect(c.count(scopeOf("web"), "10.0.0.1")).toBe(300);
      expect(c.count(scopeOf("web"), "10.1.0.7")).toBe(0);
    }, 20_000);
  }

  test("distinct counts the node's clients with a count under one scope, whichever worker counted them", () => {
    const control = ClientCounts.create(256, 2);
    const w0 = ClientCounts.attach(control.table.layout(), 0);
    const w1 = ClientCounts.attach(control.table.layout(), 1);
    const web = scopeOf("web"), api = scopeOf("api");
    w0.acquire(web, "10.0.0.1", 9);
    w1.acquire(web, "10.0.0.1", 9);
    w1.acquire(web, "10.0.0.2", 9);
    w0.acquire(api, "10.0.0.1", 9);
    expect([control.distinct(web), w0.distinct(web), w1.distinct(api)]).toEqual([2, 2, 1]);
    w1.release(web, "10.0.0.2");
    w0.release(web, "10.0.0.1");
    expect(control.distinct(web)).toBe(1); // 10.0.0.1 still holds one, in worker 1
    control.reclaim(1);
    expect(control.distinct(web)).toBe(0);
    expect(control.distinct(api)).toBe(1);
  });

  test("reclaim takes a dead worker's share out of each client's count", () => {
    const control = ClientCounts.create(64, 2);
    const w0 = ClientCounts.attach(control.table.layout(), 0);
    const w1 = ClientCounts.attach(control.table.layout(), 1);
    const s = scopeOf("web");
    expect(w0.acquire(s, "::1", 5)).toBe("ok");
    expect(w1.acquire(s, "::1", 5)).toBe("ok");
    expect(w1.acquire(s, "::1", 5)).toBe("ok");
    control.reclaim(1);
    expect(control.count(s, "::1")).toBe(1);
    w1.release(s, "::1"); // the dead worker's stale release, if it ever came, is ignored
    expect(control.count(s, "::1")).toBe(1);
  });
});
