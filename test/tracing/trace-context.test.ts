/** traceparent as W3C Trace Context reads and writes it, and the ids Fulcrum makes. */
import { describe, expect, test } from "bun:test";
import { formatTraceparent, newSpanId, newTraceId, parseTraceparent } from "../../src/tracing/index.ts";

const T = "4bf92f3577b34da6a3ce929d0e0e4736";
const P = "00f067aa0ba902b7";

describe("traceparent", () => {
  test("a version 00 value gives its trace id, parent id and flags", () => {
    expect(parseTraceparent(`00-${T}-${P}-01`)).toEqual({ traceId: T, parentId: P, flags: 1 });
    expect(parseTraceparent(`00-${T}-${P}-00`)!.flags).toBe(0);
    expect(parseTraceparent(`00-${T}-${P}-09`)!.flags).toBe(9);
  });

  test("a later version is read as 00 when its first fields fit; extra fields follow a dash", () => {
    expect(parseTraceparent(`cc-${T}-${P}-01`)).toEqual({ traceId: T, parentId: P, flags: 1 });
    expect(parseTraceparent(`cc-${T}-${P}-01-what-the-future-will-be-like`)).toEqual({ traceId: T, parentId: P, flags: 1 });
    expect(parseTraceparent(`cc-${T}-${P}-01.what`)).toBeUndefined();
  });

  test("everything the specification calls invalid is refused", () => {
    const invalid = [
      "", "00", `ff-${T}-${P}-01`, `0-${T}-${P}-01`, `00-${T}-${P}-01-extra`, `00-${T}-${P}-1`, `00-${T.toUpperCase()}-${P}-01`,
      `00-${T}-${P.toUpperCase()}-01`, `00-${"0".repeat(32)}-${P}-01`, `00-${T}-${"0".repeat(16)}-01`, `00-${T}-${P}-0g`,
      `00_${T}-${P}-01`, `00-${T.slice(1)}-${P}-01x`, `.0-${T}-${P}-01`, `00-${T}-${P}-01 `,
    ];
    for (const v of invalid) expect([v, parseTraceparent(v)]).toEqual([v, undefined]);
  });

  test("written as version 00 with two flag digits", () => {
    expect(formatTraceparent(T, P, 1)).toBe(`00-${T}-${P}-01`);
    expect(formatTraceparent(T, P, 0)).toBe(`00-${T}-${P}-00`);
    expect(parseTraceparent(formatTraceparent(T, P, 0xab))!.flags).toBe(0xab);
  });

  test("new ids are lower-case hex of the right length, and differ", () => {
    const traces = new Set<string>();
    const spans = new Set<string>();
    // more than the random pool holds, so it is refilled on the way
    for (let i = 0; i < 500; i++) {
      const t = newTraceId(), s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      traces.add(t);
      spans.add(s);
    }
    expect(traces.size).toBe(500);
    expect(spans.size).toBe(500);
  });
});
