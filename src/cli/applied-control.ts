/**
 * The node's write path when its data plane is several workers: a change answers once every
 * worker serves the new revision (bounded), as a node of one thread answers once its data plane
 * has the snapshot, so a client that writes and then sends traffic meets the new config.
 */
import { ConfigControl, type ChangeOptions, type ChangeResult } from "../control/index.ts";
import type { StoredConfig } from "../store/index.ts";

export class AppliedControl extends ConfigControl {
  /** Resolves when the data plane serves `revision`; set once the data plane runs. */
  applied: ((revision: number) => Promise<void>) | undefined;

  override async change(produce: (current: StoredConfig) => unknown, opts: ChangeOptions): Promise<ChangeResult> {
    const r = await super.change(produce, opts);
    if (!opts.dryRun && r.changed && this.applied) await this.applied(r.revision);
    return r;
  }
}
