/**
 * The stats tick gathers the workers' counters and samples the history only while no config
 * hand-out is in flight (stats-tick.ts): a sample of a thousand pools holds the control thread for
 * milliseconds, and one that began just after a revision was published held that hand-out up for
 * all of it. Checked with a real node of 2 workers: the next revision is published at every depth
 * of microtasks after the previous one's acknowledgement (as back-to-back edits are), and the
 * gated action never runs with a hand-out in flight.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { validateConfig, type ConfigDoc } from "../../../src/config/index.ts";
import type { WorkerPlane } from "../../../src/runtime/index.ts";
import { startPublishingPlane } from "./helpers/plane.ts";
import { whenQuiet } from "../../../src/runtime/workers/stats-tick.ts";

function doc(w: number): ConfigDoc {
  return validateConfig({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "a" }],
    pools: [{ name: "a", backends: [{ address: "127.0.0.1:9", weight: w }] }],
  });
}

describe("stats tick", () => {
  let plane: WorkerPlane | undefined;
  afterAll(async () => {
    await plane?.stop(0);
  });

  test("acts only in a turn with no hand-out in flight, however soon the next revision follows", async () => {
    const started = await startPublishingPlane(2, doc);
    plane = started.plane;
    const publish = started.publish;
    const set = plane.workers;
    let revision = 1;
    const seen: boolean[] = [];
    for (let depth = 0; depth < 16; depth++) {
      publish(++revision);
      expect(set.handingOut()).toBe(true);
      const acted = whenQuiet(set, 20_000, () => set.handingOut());
      const next = revision + 1;
      void set.applied(revision).then(async () => {
        for (let i = 0; i < depth; i++) await null;
        publish(next);
      });
      seen.push(await acted);
      await plane.whenApplied(next, 20_000);
      revision = next;
      expect(set.appliedRevision()).toBe(next);
    }
    expect(seen).toEqual(new Array(16).fill(false));
  }, 60_000);

  test("gives up waiting after its bound and acts anyway", async () => {
    const gate = { handingOut: () => true, quiet: (ms: number) => Bun.sleep(Math.min(ms, 5)) };
    const started = performance.now();
    expect(await whenQuiet(gate, 30, () => "acted")).toBe("acted");
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });
});
