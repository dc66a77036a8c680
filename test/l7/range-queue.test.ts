/** RangeQueue.copyTo gathers short pieces in JS and long ones natively: every byte lands in order either way. */
import { expect, test } from "bun:test";
import { RangeQueue } from "../../src/l7/range-queue.ts";
import { mulberry32 } from "../helpers/rng.ts";

test("copyTo writes strings and buffer ranges of every size, latin1 bytes included, back to back", () => {
  const rnd = mulberry32(7);
  for (let round = 0; round < 50; round++) {
    const q = new RangeQueue(), parts: Buffer[] = [];
    for (let n = 1 + Math.floor(rnd() * 30); n > 0; n--) {
      const len = [0, 1, 2, 63, 64, 65, 200][Math.floor(rnd() * 7)]!;
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      if (rnd() < 0.5) {
        q.writeString(bytes.toString("latin1"));
        parts.push(bytes);
      } else {
        const host = Buffer.concat([Buffer.from("xyz"), bytes, Buffer.from("!")]);
        q.write(host, 3, 3 + len);
        parts.push(bytes);
      }
    }
    const want = Buffer.concat(parts), out = Buffer.alloc(want.length + 8, 0xee);
    expect(q.copyTo(out)).toBe(want.length);
    expect(out.subarray(0, want.length).equals(want)).toBe(true);
    expect(out[want.length]).toBe(0xee);
  }
});

test("consume drops what a partial write took and keeps the rest as ranges of the same buffers", () => {
  const rnd = mulberry32(11);
  for (let round = 0; round < 50; round++) {
    const q = new RangeQueue(), parts: Buffer[] = [], hosts: Buffer[] = [];
    for (let n = 1 + Math.floor(rnd() * 6); n > 0; n--) {
      const len = [1, 5, 64, 300, 4096][Math.floor(rnd() * 5)]!;
      const bytes = Buffer.from(Array.from({ length: len }, () => Math.floor(rnd() * 256)));
      parts.push(bytes);
      if (rnd() < 0.3) q.writeString(bytes.toString("latin1"));
      else {
        const host = Buffer.concat([Buffer.from("ab"), bytes]);
        hosts.push(host);
        q.write(host, 2, 2 + len);
      }
    }
    const all = Buffer.concat(parts), taken = Math.floor(rnd() * all.length);
    q.consume(taken);
    expect(q.bytes).toBe(all.length - taken);
    const out = Buffer.alloc(q.bytes);
    expect(q.copyTo(out)).toBe(all.length - taken);
    expect(out.equals(all.subarray(taken))).toBe(true);
    // no copies: every queued buffer is one the caller wrote
    for (const b of q.bufs) if (typeof b !== "string") expect(hosts.includes(b)).toBe(true);
  }
});

test("copyFrontTo copies the leading entries that fit whole, and nothing when fewer than two do", () => {
  const q = new RangeQueue(), body = Buffer.alloc(100, 0x62);
  q.writeString("HTTP/1.1 200 OK\r\n");
  q.write(Buffer.from("xx: 1\r\n"));
  q.writeString("\r\n");
  q.write(body);
  const out = Buffer.alloc(64, 0xee);
  expect(q.copyFrontTo(out)).toBe(17 + 7 + 2);
  expect(out.subarray(0, 26).toString("latin1")).toBe("HTTP/1.1 200 OK\r\nxx: 1\r\n\r\n");
  expect(out[26]).toBe(0xee);
  const lone = new RangeQueue();
  lone.write(body);
  lone.writeString("tail");
  expect(lone.copyFrontTo(out)).toBe(0); // the first entry alone is too long: written from its buffer
  const one = new RangeQueue();
  one.writeString("fits");
  one.write(body);
  expect(one.copyFrontTo(out)).toBe(0); // only one entry fits: nothing to gather
});
