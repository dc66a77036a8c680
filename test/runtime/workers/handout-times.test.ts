/**
 * Each worker's acknowledgement of a revision says when the config message reached it, when its
 * handling began and when it answered (HandoutTimes), and the control part keeps when it posted
 * and when the answer came: the hand-out bench splits its time with them (test/bench/workers.bench.ts).
 * Checked here: they belong to the revision acknowledged and come in order, in every worker.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { validateConfig, type ConfigDoc } from "../../../src/config/index.ts";
import type { WorkerPlane } from "../../../src/runtime/index.ts";
import { startPublishingPlane } from "./helpers/plane.ts";

/** Two pools and an http listener on a free port; pool `b`'s backend weight is `w`. */
function doc(w: number): ConfigDoc {
  return validateConfig({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "a" }],
    pools: [
      { name: "a", backends: [{ address: "127.0.0.1:9" }] },
      { name: "b", backends: [{ address: "127.0.0.2:9", weight: w }] },
    ],
  });
}

describe("hand-out times", () => {
  let plane: WorkerPlane | undefined;
  afterAll(async () => {
    await plane?.stop(0);
  });

  test("every worker's ack carries when it received, began and answered, in order after the post", async () => {
    const started = await startPublishingPlane(2, doc);
    plane = started.plane;
    const publish = started.publish;
    // Each thread's clock is its own timeOrigin + now, and timeOrigin is the wall clock read when the
    // thread started: a clock step between the control's start and a worker's shifts one against the
    // other (CI saw 5.4 s). So times are compared within a thread, and the worker's span from
    // receipt to answer must fit in the control's from post to ack (allowing for rounding).
    const slack = 5;
    for (let revision = 2; revision <= 6; revision++) {
      publish(revision);
      await plane.whenApplied(revision, 20_000);
      const live = plane.workers.live();
      expect(live.length).toBe(2);
      for (const h of live) {
        expect(h.appliedRevision).toBe(revision);
        const { posted, acked, at } = h.handout;
        expect(at).toBeDefined();
        expect(at!.begun).toBeGreaterThanOrEqual(at!.received);
        expect(at!.done).toBeGreaterThanOrEqual(at!.begun);
        expect(acked).toBeGreaterThanOrEqual(posted);
        expect(at!.done - at!.received).toBeLessThanOrEqual(acked - posted + slack);
      }
    }
  }, 60_000);
});
