/**
 * Counts the config revisions a mirror takes from watch events, to prove "every revision once, in
 * order": each write moves the config revision counter key once, so its events must rise one by
 * one. A resync jumps (nothing is counted, the count restarts from where it landed).
 */
import { text } from "./etcd/index.ts";
import type { ClusterKeys } from "./keys.ts";
import type { MirrorChange } from "./mirror-change.ts";

export class RevisionCounter {
  /** Revisions taken from events. */
  applied = 0;
  /** Events that set the counter at or below one already taken: must stay 0. */
  repeated = 0;
  private last: number;

  constructor(
    private readonly keys: ClusterKeys,
    start: number,
  ) {
    this.last = start;
  }

  /** Counts one mirror change; `revisionNow` reads the counter after a resync. */
  count(change: MirrorChange, revisionNow: () => number): void {
    if (change.kind === "resync") {
      this.last = revisionNow();
      return;
    }
    for (const e of change.events) {
      if (e.kv.key !== this.keys.configRevision || e.type === "DELETE") continue;
      const revision = Number(text(e.kv.value)) || 0;
      if (revision <= this.last) this.repeated++;
      else this.applied++;
      this.last = Math.max(this.last, revision);
    }
  }
}
