/**
 * The frame writers' shared output arena is written from its start again only when every
 * transport it handed ranges to says it keeps none of them: bytes a transport still holds (a
 * partial write's rest) are never overwritten, and a transport that cannot say keeps the arena
 * from being reused at all.
 */
import { describe, expect, test } from "bun:test";
import { reuseArena, type H2Output } from "../../src/h2/index.ts";
import { FrameWriter } from "../../src/h2/frame-writer.ts";

/** Keeps the ranges it is handed by reference, as a socket writer with a full socket does. */
class KeepingOutput implements H2Output {
  kept: { buf: Buffer; start: number; end: number; copy: Buffer }[] = [];
  write(buf: Buffer, start: number, end: number): boolean {
    this.kept.push({ buf, start, end, copy: Buffer.from(buf.subarray(start, end)) });
    return true;
  }
  end(): void {}
  holding(): boolean {
    return this.kept.length > 0;
  }
  /** Every kept range still holds the bytes it was handed. */
  intact(): boolean {
    return this.kept.every((k) => k.buf.subarray(k.start, k.end).equals(k.copy));
  }
}

/** Says nothing about what it keeps (like an H2Output written before `holding` existed). */
class SilentOutput implements H2Output {
  last: { buf: Buffer; start: number } | null = null;
  write(buf: Buffer, start: number): boolean {
    this.last = { buf, start };
    return true;
  }
  end(): void {}
}

/**
 * Makes the arena a new one whatever earlier tests in this process left in it (their transports
 * may keep ranges or say nothing): frames larger than what is left replace it.
 */
function freshArena(): void {
  const w = new FrameWriter({ write: () => true, end() {}, holding: () => false });
  for (let i = 0; i < 2; i++) {
    w.data(1, false, Buffer.alloc(40_000), 0, 40_000);
    w.flush();
  }
  expect(reuseArena()).toBe(true);
}

const ping = (w: FrameWriter, byte: number) => {
  w.ping(false, Buffer.alloc(8, byte), 0);
  w.flush();
};

describe("frame arena reuse", () => {
  test("not while a transport keeps a range; from the start once none does", () => {
    freshArena();
    const a = new KeepingOutput(), b = new KeepingOutput();
    const wa = new FrameWriter(a), wb = new FrameWriter(b);
    ping(wa, 1);
    ping(wb, 2);
    expect(reuseArena()).toBe(false); // both keep their frames
    ping(wb, 3);
    expect(a.intact() && b.intact()).toBe(true);
    b.kept = [];
    expect(reuseArena()).toBe(false); // a still keeps its range
    ping(wb, 4);
    expect(a.intact()).toBe(true);
    a.kept = [];
    b.kept = [];
    expect(reuseArena()).toBe(true);
    ping(wa, 5);
    expect(a.kept[0]!.start).toBe(0); // written from the arena's start again
    expect(a.kept[0]!.copy[9]).toBe(5);
  });

  test("a transport that cannot say what it keeps stops the arena from being reused", () => {
    const keep = new KeepingOutput(), silent = new SilentOutput();
    freshArena();
    ping(new FrameWriter(silent), 7);
    ping(new FrameWriter(keep), 8);
    keep.kept = [];
    expect(reuseArena()).toBe(false);
    const { buf, start } = silent.last!;
    expect(buf[start + 9]).toBe(7);
  });
});
