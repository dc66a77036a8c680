import { describe, expect, test } from "bun:test";
import { ConnTrack, encodeTuple, PROTO_TCP, TUPLE_BYTES } from "../../../src/wasm/index.ts";
import { backendId } from "../../../src/runtime/pools/backend-ids.ts";
import { l4ConnectionCounter } from "../../../src/runtime/listeners/l4-connection-counts.ts";

/** A table with `n` flows from distinct client ports recorded for `backend`. */
function flows(table: ConnTrack, backend: number, n: number, from = 0): void {
  const t = new Uint8Array(TUPLE_BYTES);
  for (let i = 0; i < n; i++) {
    encodeTuple(t, 0, "10.1.0.1", 10_000 + from + i, "10.0.0.1", 80, PROTO_TCP);
    table.insert(t, backend, 1);
  }
}

describe("L4 connections per backend", () => {
  test("counts every listener's flows per backend, one table scan per listener per read", async () => {
    const a = new ConnTrack(1024, { seed: 1 });
    const b = new ConnTrack(1024, { seed: 2 });
    const x = backendId("counts-test", "10.0.0.1:80");
    const y = backendId("counts-test", "10.0.0.2:80");
    flows(a, x, 3);
    flows(b, x, 2);
    flows(b, y, 4, 100);
    let scans = 0;
    const spy = (t: ConnTrack) => ({ conntrack: { countByBackend: (out: Uint32Array) => (scans++, t.countByBackend(out)) } as ConnTrack });
    const count = l4ConnectionCounter([spy(a), spy(b)]);
    expect([count("counts-test", "10.0.0.1:80"), count("counts-test", "10.0.0.2:80"), count("counts-test", "10.0.0.9:80")]).toEqual([5, 4, 0]);
    expect(scans).toBe(2);
    // The next read (after this task) sees a flow opened in between.
    flows(a, y, 1, 200);
    await Promise.resolve();
    expect(count("counts-test", "10.0.0.2:80")).toBe(5);
    expect(scans).toBe(4);
  });

  test("a backend id beyond the counted range triggers a recount that covers it", () => {
    const t = new ConnTrack(1024, { seed: 3 });
    for (let i = 0; i < 80; i++) backendId("counts-wide", `10.9.0.${i}:80`);
    const far = backendId("counts-wide", "10.9.0.79:80");
    flows(t, far, 2);
    const count = l4ConnectionCounter([{ conntrack: t }]);
    expect(count("counts-wide", "10.9.0.0:80")).toBe(0);
    expect(count("counts-wide", "10.9.0.79:80")).toBe(2);
  });
});
