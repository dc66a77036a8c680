/**
 * A real worker plane of `count` workers fed from a SnapshotHolder, and `publish(revision)`, which
 * compiles `docFor(revision)` and hands it out as a config edit would (the tests that look at
 * hand-outs: handout-times, stats-tick).
 */
import { compileSnapshot, SnapshotHolder, type ConfigDoc } from "../../../../src/config/index.ts";
import { Registry } from "../../../../src/obs/index.ts";
import { startWorkerPlane, type WorkerPlane } from "../../../../src/runtime/index.ts";

export interface PublishingPlane {
  plane: WorkerPlane;
  publish(revision: number): void;
}

/** Publishes revision 1, then starts the plane on it. */
export async function startPublishingPlane(count: number, docFor: (revision: number) => ConfigDoc): Promise<PublishingPlane> {
  const holder = new SnapshotHolder();
  const docs = new Map<number, ConfigDoc>();
  const publish = (revision: number) => {
    docs.set(revision, docFor(revision));
    holder.publish(compileSnapshot(docs.get(revision)!, revision));
  };
  publish(1);
  const plane = await startWorkerPlane({ count, holder, metrics: new Registry(), log: () => {}, docOf: (s) => {
    const d = docs.get(s.revision);
    return d && { doc: d };
  } });
  return { plane, publish };
}
