import { describe, expect, test } from "bun:test";
import { newRequestState } from "../../../src/runtime/l7/request-state.ts";

describe("newRequestState", () => {
  test("a reused state is reset in place to exactly what a fresh one holds", () => {
    const fresh = newRequestState();
    const used = newRequestState();
    const dirty: Record<string, unknown> = used as never;
    for (const k of Object.keys(dirty)) dirty[k] = typeof dirty[k] === "number" ? 7 : typeof dirty[k] === "string" ? "x" : typeof dirty[k] === "boolean" ? true : {};
    // fields only some picks add to the object
    Object.assign(used, { ticket: 3, loadSlots: new Int32Array(2), hash: 9 });
    const again = newRequestState(used);
    expect(again).toBe(used);
    expect({ ...again, ticket: undefined, loadSlots: undefined, hash: undefined }).toEqual({ ...fresh, ticket: undefined, loadSlots: undefined, hash: undefined });
    expect([again.ticket, again.loadSlots, again.hash]).toEqual([undefined, undefined, undefined]);
  });
});
