import { describe, expect, test } from "bun:test";
import { compileSnapshot, SnapshotHolder, validateConfig, type Snapshot } from "../../src/config/index.ts";

const snap = (revision: number) => compileSnapshot(validateConfig({ pools: [{ name: "p" }] }), revision);

describe("SnapshotHolder", () => {
  test("is empty until the first publish, then returns exactly what was published", () => {
    const h = new SnapshotHolder();
    expect(h.current()).toBeUndefined();
    const s1 = snap(1);
    h.publish(s1);
    expect(h.current()).toBe(s1);
    const s2 = snap(2);
    h.publish(s2);
    expect(h.current()).toBe(s2);
  });

  test("tells subscribers in order after the swap, and stops after unsubscribe", () => {
    const h = new SnapshotHolder();
    const seen: string[] = [];
    const offA = h.subscribe((s) => seen.push(`a${s.revision}:${h.current() === s}`));
    h.subscribe((s) => seen.push(`b${s.revision}`));
    h.publish(snap(1));
    offA();
    offA(); // unsubscribing twice is harmless
    h.publish(snap(2));
    expect(seen).toEqual(["a1:true", "b1", "b2"]);
  });

  test("a throwing subscriber is reported and the others are still told", () => {
    const errors: [unknown, number][] = [];
    const h = new SnapshotHolder({ onSubscriberError: (e, s) => errors.push([e, s.revision]) });
    const told: number[] = [];
    h.subscribe(() => {
      throw new Error("boom");
    });
    h.subscribe((s) => told.push(s.revision));
    const s3: Snapshot = snap(3);
    expect(() => h.publish(s3)).not.toThrow();
    expect(told).toEqual([3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]![1]).toBe(3);
    expect(h.current()).toBe(s3);
  });

  test("the same function subscribed twice is called twice, and each subscription ends on its own", () => {
    const h = new SnapshotHolder();
    let n = 0;
    const fn = () => n++;
    const off1 = h.subscribe(fn);
    h.subscribe(fn);
    h.publish(snap(1));
    off1();
    h.publish(snap(2));
    expect(n).toBe(3);
  });
});
