import { describe, expect, test } from "bun:test";
import { ClientAdmit, ClientConnTable, clientTableCapacity } from "../../src/limits/index.ts";
import { parseIp } from "../../src/net/index.ts";
import { mulberry32 as rng } from "../helpers/rng.ts";

const ip = (text: string): Uint8Array => parseIp(text)!;

/** A v4 address from an index (10.x.y.z), as 16 bytes. */
function nth(i: number): Uint8Array {
  return ip(`10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
}

describe("ClientConnTable", () => {
  test("counts each client up to its limit and frees it at zero", () => {
    const t = new ClientConnTable(16);
    const a = ip("127.0.0.2");
    expect(t.acquire(a, 2)).toBe(ClientAdmit.Counted);
    expect(t.acquire(a, 2)).toBe(ClientAdmit.Counted);
    expect(t.acquire(a, 2)).toBe(ClientAdmit.OverLimit);
    expect(t.acquire(ip("127.0.0.3"), 2)).toBe(ClientAdmit.Counted);
    expect(t.count(a)).toBe(2);
    expect(t.used).toBe(2);
    t.release(a);
    expect(t.acquire(a, 2)).toBe(ClientAdmit.Counted);
    t.release(a);
    t.release(a);
    expect(t.count(a)).toBe(0);
    expect(t.used).toBe(1);
  });

  test("treats a dual-stack socket's ::ffff:a.b.c.d as the same client as a.b.c.d", () => {
    const t = new ClientConnTable(16);
    expect(t.acquire(ip("10.0.0.1"), 1)).toBe(ClientAdmit.Counted);
    expect(t.acquire(ip("::ffff:10.0.0.1"), 1)).toBe(ClientAdmit.OverLimit);
    expect(t.acquire(ip("::1"), 1)).toBe(ClientAdmit.Counted);
  });

  test("admits new clients untracked once 3/4 of the slots hold clients, and tracks again after releases", () => {
    const t = new ClientConnTable(16);
    for (let i = 0; i < 12; i++) expect(t.acquire(nth(i), 1)).toBe(ClientAdmit.Counted);
    expect(t.acquire(nth(100), 1)).toBe(ClientAdmit.Untracked);
    // a client already tracked is still limited
    expect(t.acquire(nth(3), 1)).toBe(ClientAdmit.OverLimit);
    t.release(nth(5));
    expect(t.acquire(nth(100), 1)).toBe(ClientAdmit.Counted);
  });

  test("any amount of churn leaves the table as empty as it started (no tombstones)", () => {
    const t = new ClientConnTable(clientTableCapacity(1000));
    const next = rng(7);
    const live: number[] = [];
    for (let round = 0; round < 60_000; round++) {
      if (live.length < 900 && (live.length === 0 || next() < 0.5)) {
        const id = Math.floor(next() * 1e9);
        if (t.acquire(nth(id), 1) === ClientAdmit.Counted) live.push(id);
      } else {
        const k = Math.floor(next() * live.length);
        t.release(nth(live[k]!));
        live[k] = live[live.length - 1]!;
        live.pop();
      }
    }
    for (const id of live) t.release(nth(id));
    expect(t.used).toBe(0);
    for (let s = 0; s < t.capacity; s++) expect(t.words[4 + s * 5 + 4]).toBe(0);
  });

  test("agrees with a Map model through random acquire and release", () => {
    const t = new ClientConnTable(64);
    const model = new Map<number, number>();
    const next = rng(99);
    for (let step = 0; step < 50_000; step++) {
      const id = Math.floor(next() * 80);
      const have = model.get(id) ?? 0;
      if (next() < 0.55) {
        const r = t.acquire(nth(id), 3);
        const want = have >= 3 ? ClientAdmit.OverLimit : have === 0 && model.size >= t.maxTracked ? ClientAdmit.Untracked : ClientAdmit.Counted;
        expect(r).toBe(want);
        if (r === ClientAdmit.Counted) model.set(id, have + 1);
      } else if (have > 0) {
        t.release(nth(id));
        if (have === 1) model.delete(id);
        else model.set(id, have - 1);
      }
      if (step % 997 === 0) for (let k = 0; k < 80; k++) expect(t.count(nth(k))).toBe(model.get(k) ?? 0);
    }
    expect(t.used).toBe(model.size);
  });

  test("lives in one buffer that a second view adopts as it is (a SharedArrayBuffer too)", () => {
    const buf = new SharedArrayBuffer(ClientConnTable.bytesFor(32));
    const a = new ClientConnTable(32, buf);
    a.acquire(ip("::1"), 5);
    a.acquire(ip("::1"), 5);
    const b = new ClientConnTable(32, buf);
    expect(b.count(ip("::1"))).toBe(2);
    expect(b.acquire(ip("::1"), 2)).toBe(ClientAdmit.OverLimit);
  });

  test("sizes a table so a given number of clients fits under 3/4 load", () => {
    expect(clientTableCapacity(12)).toBe(16);
    expect(clientTableCapacity(13)).toBe(32);
    expect(clientTableCapacity(10_000)).toBe(16_384);
  });
});
