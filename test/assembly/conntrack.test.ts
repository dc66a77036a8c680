import { describe, expect, test } from "bun:test";
import { instantiateCore } from "../../src/wasm/core.ts";
import { ConnTrack, InsertOutcome } from "../../src/wasm/conntrack.ts";
import { encodeTuple, PROTO_TCP, PROTO_UDP } from "../../src/wasm/tuple.ts";
import { ConntrackOracle, flowHash, placementAlt, placementTag } from "../oracles/conntrack.ts";

/** xorshift32: deterministic, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>>= 0);
  };
}

/** `count` random tuples, half IPv4-mapped and half IPv6, as bytes and as words. */
function randomKeys(count: number, seed: number): { u8: Uint8Array; u32: Uint32Array } {
  const next = rng(seed);
  const u32 = new Uint32Array(count * 10);
  for (let i = 0; i < count; i++) {
    const w = i * 10;
    for (let k = 0; k < 8; k++) u32[w + k] = next();
    if (i % 2 === 0) [0, 1, 4, 5].forEach((k) => (u32[w + k] = 0));
    if (i % 2 === 0) [2, 6].forEach((k) => (u32[w + k] = 0xffff0000));
    u32[w + 8] = next();
    u32[w + 9] = i % 3 === 0 ? PROTO_UDP : PROTO_TCP;
  }
  return { u8: new Uint8Array(u32.buffer), u32 };
}

function tuple(src: string, sport: number, dst: string, dport: number, proto = PROTO_TCP): Uint8Array {
  const out = new Uint8Array(40);
  encodeTuple(out, 0, src, sport, dst, dport, proto);
  return out;
}

/** Index of the first word where the WASM slots and the oracle's differ, or -1. */
function firstDiff(ct: ConnTrack, oracle: ConntrackOracle): number {
  const wasm = new Uint32Array(ct.memory().buffer, ct.slotsOffset, oracle.mem.length);
  for (let i = 0; i < wasm.length; i++) if (wasm[i] !== oracle.mem[i]) return i;
  return -1;
}

function oracleStats(o: ConntrackOracle) {
  return { size: o.size, capacity: o.capacity, inserts: o.inserts, evictions: o.evictions, expirations: o.expirations };
}

describe("conntrack", () => {
  test("the oracle's flow hash equals hashTupleAt", () => {
    const inst = instantiateCore("debug");
    const ex = inst as unknown as { hashTuple(p: number, s: number): number };
    const ct = new ConnTrack(8, { core: inst });
    const keys = randomKeys(2000, 11);
    for (let i = 0; i < 2000; i++) {
      ct.memory().set(keys.u8.subarray(i * 40, i * 40 + 40), ct.keyOffset);
      const seed = (i * 0x9e3779b9) >>> 0;
      expect(ex.hashTuple(ct.keyOffset, seed) >>> 0).toBe(flowHash(keys.u32, i * 10, seed));
    }
  });

  test("the oracle's placement hash equals the core's, both halves, scalar and SIMD forms", () => {
    const inst = instantiateCore("debug");
    const ex = inst as unknown as { conntrackHash(p: number, s: number, which: number): number };
    const ct = new ConnTrack(8, { core: inst });
    const keys = randomKeys(2000, 12);
    for (let i = 0; i < 2000; i++) {
      ct.memory().set(keys.u8.subarray(i * 40, i * 40 + 40), ct.keyOffset);
      const seed = (i * 0x9e3779b9) >>> 0;
      expect(ex.conntrackHash(ct.keyOffset, seed, 0) >>> 0).toBe(placementTag(keys.u32, i * 10, seed));
      expect(ex.conntrackHash(ct.keyOffset, seed, 1) >>> 0).toBe(placementAlt());
      expect(ex.conntrackHash(ct.keyOffset, seed, 2) >>> 0).toBe(placementTag(keys.u32, i * 10, seed));
      expect(ex.conntrackHash(ct.keyOffset, seed, 3) >>> 0).toBe(placementAlt());
    }
  });

  for (const [capacity, pool, seed] of [[64, 200, 1], [1024, 4000, 2], [256, 300, 3]] as const) {
    test(`agrees with the oracle on 20,000 random operations (capacity ${capacity}, ${pool} flows)`, () => {
      const ct = new ConnTrack(capacity, { seed });
      const oracle = new ConntrackOracle(capacity, seed);
      const keys = randomKeys(pool, seed * 7);
      const next = rng(seed * 13);
      let now = 4294960000; // the clock wraps during the run
      for (let op = 0; op < 20_000; op++) {
        now = (now + (next() % 6)) >>> 0;
        const r = next() % 100;
        const k = next() % pool;
        const key = keys.u8.subarray(k * 40, k * 40 + 40);
        if (r < 50) {
          const backend = next() % 8, flags = next() % 4;
          expect<number>(ct.insert(key, backend, now, flags)).toBe(oracle.insert(keys.u32, k * 10, backend, now, flags));
        } else if (r >= 96 && r < 98) {
          const count = 1 + (next() % Math.min(300, pool)), start = next() % (pool - count + 1);
          const want = new Int32Array(count), got = new Int32Array(count);
          const hits = ct.lookupMany(keys.u8.subarray(start * 40, (start + count) * 40), now, got);
          expect(hits).toBe(oracle.lookupMany(keys.u32, start * 10, count, now, want));
          expect(got).toEqual(want);
        } else if (r < 80 || (r >= 89 && r < 98)) {
          const got = ct.lookup(key, now);
          expect(got).toBe(oracle.lookup(keys.u32, k * 10, now));
          if (got >= 0) expect(ct.lastFlags).toBe(oracle.lastFlags);
        } else if (r < 86) {
          expect(ct.remove(key)).toBe(oracle.remove(keys.u32, k * 10));
        } else if (r < 89) {
          const idle = next() % 20_000, visits = next() % 80;
          expect(ct.sweep(now, idle, visits)).toBe(oracle.sweep(now, idle, visits));
        } else {
          const b = next() % 8, which = next() % 20 === 0 ? 2 : next() % 2;
          const got = which === 0 ? ct.countBackend(b) : which === 1 ? ct.markBackend(b, 2) : ct.removeBackend(b);
          expect(got).toBe(oracle.forBackend(b, which, 2));
        }
        if (op % 1000 === 0) expect(ct.stats()).toEqual(oracleStats(oracle));
      }
      expect(ct.stats()).toEqual(oracleStats(oracle));
      expect(firstDiff(ct, oracle)).toBe(-1);
      const counts = new Uint32Array(8);
      expect(ct.countByBackend(counts)).toBe(oracle.size);
      counts.forEach((n, b) => expect(n).toBe(oracle.forBackend(b, 0, 0)));
      expect(oracle.evictions).toBeGreaterThan(0);
      expect(oracle.expirations).toBeGreaterThan(0);
    });
  }

  test("tells IPv4 and IPv6 flows, directions and protocols apart", () => {
    const ct = new ConnTrack(64);
    const v4 = tuple("10.0.0.1", 40000, "192.0.2.10", 443);
    const v6 = tuple("2001:db8::1", 40000, "2001:db8::10", 443);
    ct.insert(v4, 1, 10);
    ct.insert(v6, 2, 10);
    expect(ct.lookup(tuple("::ffff:10.0.0.1", 40000, "::ffff:192.0.2.10", 443), 11)).toBe(1);
    expect(ct.lookup(v6, 11)).toBe(2);
    expect(ct.lookup(tuple("192.0.2.10", 443, "10.0.0.1", 40000), 11)).toBe(-1);
    expect(ct.lookup(tuple("10.0.0.1", 40000, "192.0.2.10", 443, PROTO_UDP), 11)).toBe(-1);
    expect(ct.lookup(tuple("2001:db8::2", 40000, "2001:db8::10", 443), 11)).toBe(-1);
    expect(ct.insert(v6, 3, 12, 1)).toBe(InsertOutcome.UPDATED);
    expect(ct.lookup(v6, 13)).toBe(3);
    expect(ct.lastFlags).toBe(1);
    expect(ct.remove(v4)).toBe(true);
    expect(ct.remove(v4)).toBe(false);
    expect(ct.stats()).toEqual({ size: 1, capacity: 64, inserts: 2, evictions: 0, expirations: 0 });
  });

  test("expires a flow exactly at the idle timeout and not before, counting from its last lookup", () => {
    const ct = new ConnTrack(16);
    const t = tuple("10.0.0.1", 1000, "10.0.0.2", 80);
    ct.insert(t, 5, 1000);
    expect(ct.sweep(1000 + 29_999, 30_000)).toBe(0);
    expect(ct.lookup(t, 1500)).toBe(5);
    expect(ct.sweep(1500 + 29_999, 30_000)).toBe(0);
    expect(ct.sweep(1500 + 30_000, 30_000)).toBe(1);
    expect(ct.lookup(t, 31_501)).toBe(-1);
    expect(ct.stats()).toMatchObject({ size: 0, expirations: 1 });
    ct.insert(t, 5, 0xffffff00); // the u32 clock wraps between insert and sweep
    expect(ct.sweep(0x100 - 1, 0x200)).toBe(0);
    expect(ct.sweep(0x100, 0x200)).toBe(1);
  });

  test("a sweep visits at most maxVisits slots and resumes where it stopped", () => {
    const ct = new ConnTrack(64);
    const keys = randomKeys(40, 5);
    for (let i = 0; i < 40; i++) ct.insert(keys.u8.subarray(i * 40, i * 40 + 40), 0, 0);
    let expired = 0;
    for (let pass = 0; pass < 8; pass++) {
      const got = ct.sweep(100, 50, 8);
      expect(got).toBeLessThanOrEqual(8);
      expired += got;
    }
    expect(expired).toBe(40);
    expect(ct.stats()).toMatchObject({ size: 0, expirations: 40 });
  });

  test("when full, evicts the least recently seen flow first and counts it", () => {
    const ct = new ConnTrack(8); // two buckets: every flow may use every slot, the window is the table
    const keys = randomKeys(12, 9);
    const key = (i: number) => keys.u8.subarray(i * 40, i * 40 + 40);
    for (let i = 0; i < 8; i++) expect(ct.insert(key(i), i, 100)).toBe(InsertOutcome.INSERTED);
    const seenOrder = [5, 2, 7, 0, 3, 6, 1, 4];
    seenOrder.forEach((k, t) => expect(ct.lookup(key(k), 200 + t)).toBe(k));
    for (let n = 0; n < 4; n++) {
      expect(ct.insert(key(8 + n), 8 + n, 300 + n)).toBe(InsertOutcome.EVICTED);
      expect(ct.lookup(key(seenOrder[n]!), 400)).toBe(-1);
      for (const k of seenOrder.slice(n + 1, 4)) expect(ct.lookup(key(k), 200 + seenOrder.indexOf(k))).toBe(k);
    }
    expect(ct.stats()).toEqual({ size: 8, capacity: 8, inserts: 12, evictions: 4, expirations: 0 });
  });

  test("counts, marks and removes the flows of one backend", () => {
    const ct = new ConnTrack(256);
    const keys = randomKeys(100, 3);
    for (let i = 0; i < 100; i++) ct.insert(keys.u8.subarray(i * 40, i * 40 + 40), i % 4, 1);
    expect(ct.countBackend(1)).toBe(25);
    expect(ct.markBackend(1)).toBe(25);
    expect(ct.lookup(keys.u8.subarray(40, 80), 2)).toBe(1);
    expect(ct.lastFlags & 1).toBe(1);
    expect(ct.lookup(keys.u8.subarray(0, 40), 2)).toBe(0);
    expect(ct.lastFlags & 1).toBe(0);
    const counts = new Uint32Array(3);
    expect(ct.countByBackend(counts)).toBe(100);
    expect([...counts]).toEqual([25, 25, 25]);
    expect(ct.removeBackend(1)).toBe(25);
    expect(ct.countBackend(1)).toBe(0);
    expect(ct.stats().size).toBe(75);
  });

  test("rejects bad capacities, tuples and backends with INVALID_ARGUMENT", () => {
    const bad = (fn: () => unknown) => expect(() => fn()).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    bad(() => new ConnTrack(4));
    bad(() => new ConnTrack(2 ** 23 + 1));
    bad(() => new ConnTrack(1.5));
    const ct = new ConnTrack(8);
    bad(() => ct.lookup(new Uint8Array(39), 0));
    bad(() => ct.insert(new Uint8Array(40), -1, 0));
    bad(() => ct.insert(new Uint8Array(40), 2 ** 31, 0));
    bad(() => ct.insert(new Uint8Array(40), 0.5, 0));
    bad(() => ct.sweep(0, -1));
  });
});

/** Writes flow i (distinct for every i < 2^32) straight into the table's key scratch. */
function writeFlow(words: Uint32Array, at: number, i: number): void {
  words[at] = 0;
  words[at + 1] = 0;
  words[at + 2] = 0xffff0000;
  words[at + 3] = (0x0a000000 + (i >>> 8)) >>> 0;
  words[at + 4] = 0;
  words[at + 5] = 0;
  words[at + 6] = 0xffff0000;
  words[at + 7] = 0x0a00020c;
  words[at + 8] = (i & 0xff) | (443 << 16);
  words[at + 9] = PROTO_TCP;
}

describe("conntrack memory", () => {
  test("linear memory never grows after init, across a million inserts", () => {
    const inst = instantiateCore("debug");
    const ct = new ConnTrack(4096, { core: inst, seed: 42 });
    const buffer = inst.memory.buffer;
    const words = new Uint32Array(buffer);
    const at = ct.keyOffset >>> 2;
    for (let i = 0; i < 1_000_000; i++) {
      writeFlow(words, at, i);
      ct.insertKey(i & 63, i);
    }
    expect(inst.memory.buffer).toBe(buffer);
    expect(inst.memory.buffer.byteLength).toBe(buffer.byteLength);
    expect(ct.stats()).toMatchObject({ size: 4096, inserts: 1_000_000, evictions: 1_000_000 - 4096 });
  });

  test("1,000,000 flows fit in 64 MiB of linear memory, all found again", () => {
    const inst = instantiateCore("debug");
    const before = inst.memory.buffer.byteLength;
    const ct = new ConnTrack(1_048_000, { core: inst, seed: 7 });
    const growth = inst.memory.buffer.byteLength - before;
    expect(growth).toBeLessThanOrEqual(64 * 2 ** 20);
    const words = new Uint32Array(inst.memory.buffer);
    const at = ct.keyOffset >>> 2;
    for (let i = 0; i < 1_000_000; i++) {
      writeFlow(words, at, i);
      expect(ct.insertKey(i % 1000, 1)).toBe(InsertOutcome.INSERTED);
    }
    expect(ct.stats()).toEqual({ size: 1_000_000, capacity: 1_048_000, inserts: 1_000_000, evictions: 0, expirations: 0 });
    let found = 0;
    for (let i = 0; i < 1_000_000; i++) {
      writeFlow(words, at, i);
      if (ct.lookupKey(2) === i % 1000) found++;
    }
    expect(found).toBe(1_000_000);
    expect(inst.memory.buffer.byteLength - before).toBe(growth);
  });
});
