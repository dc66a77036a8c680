import { describe, expect, test } from "bun:test";
import { REQUEST_ID_LENGTH, formatInto, formatString, nextRequestId, type RequestIdParts } from "../../src/l7/request-id.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const fresh = (): RequestIdParts => ({ idMs: 0, idSeq: 0, idHi: 0, idLo: 0 });
const msOf = (id: string) => parseInt(id.replace(/-/g, "").slice(0, 12), 16);

describe("request ids", () => {
  test("are UUIDv7 strings carrying the given millisecond", () => {
    const p = fresh();
    const now = Date.now() + 5_000; // ahead of any id another test made in this process
    nextRequestId(p, now);
    const id = formatString(p);
    expect(id).toMatch(UUID_V7);
    expect(id.length).toBe(REQUEST_ID_LENGTH);
    expect(msOf(id)).toBe(now);
  });

  test("bytes written in place equal the string, at any offset", () => {
    const p = fresh();
    nextRequestId(p, Date.now());
    const out = Buffer.alloc(50, 0x2e);
    formatInto(p, out, 7);
    expect(out.toString("latin1", 7, 7 + REQUEST_ID_LENGTH)).toBe(formatString(p));
    expect(out[6]).toBe(0x2e);
    expect(out[7 + REQUEST_ID_LENGTH]).toBe(0x2e);
  });

  test("sort by creation within one millisecond, past the counter's end, and when the clock steps back", () => {
    const p = fresh();
    const ms = Date.now() + 10_000;
    const ids: string[] = [];
    for (let i = 0; i < 5_000; i++) { // more than the 12-bit counter holds in one millisecond
      nextRequestId(p, ms);
      ids.push(formatString(p));
    }
    nextRequestId(p, ms - 1_000);
    ids.push(formatString(p));
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(msOf(ids[0]!)).toBe(ms);
  });

  test("the last 62 bits are random: no two alike and no counter among them", () => {
    const p = fresh();
    const tails: string[] = [];
    for (let i = 0; i < 2_000; i++) { // several refills of the random pool
      nextRequestId(p, Date.now());
      tails.push(formatString(p).slice(20).replace("-", ""));
    }
    expect(new Set(tails).size).toBe(tails.length);
    const differing = (a: string, b: string) => [...a].filter((ch, i) => ch !== b[i]).length;
    const close = tails.slice(1).filter((t, i) => differing(t, tails[i]!) <= 2).length;
    expect(close).toBeLessThan(5);
    // every hex digit of the random part is used
    expect(new Set(tails.join("").slice(1)).size).toBe(16);
  });
});
