/**
 * applyConfig: the one write path (admin API, `fulcrum start --config`, apply). Validate, merge
 * write-only keys, compile, store, publish — in that order, so a document that does not compile is
 * never stored and the previous snapshot keeps serving.
 */
import { LbError } from "../errors.ts";
import { sameDoc, type Store } from "../store/index.ts";
import { checkCertificate } from "./certificates.ts";
import { compileSnapshot } from "./compile.ts";
import { diffConfig } from "./diff.ts";
import type { SnapshotHolder } from "./holder.ts";
import { throwIfAny, type Problem } from "./problems.ts";
import { mergeWriteOnly } from "./redact.ts";
import type { ConfigDoc } from "./schema.ts";
import type { Snapshot } from "./snapshot.ts";
import { validateConfig } from "./validate.ts";

/** What applyConfig writes to and publishes on. */
export interface ApplyDeps {
  store: Store;
  holder: SnapshotHolder;
  /**
   * Optional check by the running data plane that it can serve a compiled snapshot (e.g. bind a
   * new listener address); throws CONFIG_INVALID, so the write is refused, not half-applied.
   */
  preflight?: (snapshot: Snapshot) => void;
}

/** How applyConfig writes. */
export interface ApplyOptions {
  /** the revision the caller based its change on (If-Match); stale -> PRECONDITION_FAILED */
  expectRevision?: number;
  /** validate and compile only: nothing is stored or published */
  dryRun?: boolean;
  /** what did it, for the history ("PUT /v1/config"); the diff is appended */
  summary: string;
}

/** What applyConfig did. */
export interface ApplyResult {
  /** the stored revision after the call (dry run: the current one, unchanged) */
  revision: number;
  /** whether the document differed from the stored one (dry run: whether it would) */
  changed: boolean;
  /** the compiled snapshot (dry run: as it would be at the next revision; not published) */
  snapshot: Snapshot;
  /** diffConfig(stored, new) */
  diff: string[];
}

/** How many diff lines go into a history summary. */
const SUMMARY_LINES = 5;

/**
 * Validates `input`, keeps stored keys of certificates sent without key_pem, compiles, writes and
 * publishes. An unchanged document does not bump the revision (and republishes nothing unless the
 * holder is empty or behind). Throws PRECONDITION_FAILED (412) on a stale expectRevision,
 * CONFIG_INVALID (400) with every problem's path otherwise.
 */
export function applyConfig(deps: ApplyDeps, input: unknown, opts: ApplyOptions): ApplyResult {
  const stored = deps.store.read();
  if (opts.expectRevision !== undefined && opts.expectRevision !== stored.revision) {
    throw new LbError("PRECONDITION_FAILED", `the config is at revision ${stored.revision}, not ${opts.expectRevision}`);
  }
  const doc = withStoredKeys(validateConfig(input), stored.doc);
  const diff = diffConfig(stored.doc, doc);
  if (sameDoc(doc, stored.doc)) {
    const held = deps.holder.current();
    const snapshot = held?.revision === stored.revision ? held : compileSnapshot(doc, stored.revision);
    if (!opts.dryRun && snapshot !== held) deps.holder.publish(snapshot);
    return { revision: stored.revision, changed: false, snapshot, diff };
  }
  const snapshot = compileSnapshot(doc, stored.revision + 1);
  deps.preflight?.(snapshot);
  if (opts.dryRun) return { revision: stored.revision, changed: true, snapshot, diff };
  // expectRevision = what we read: another process writing in between makes this a 412, never a
  // silent overwrite of a change we did not merge.
  const written = deps.store.write(doc, { expectRevision: stored.revision, summary: summarize(opts.summary, diff) });
  deps.holder.publish(snapshot);
  return { revision: written.revision, changed: written.changed, snapshot, diff };
}

/**
 * Compiles and publishes what the store holds (startup). Returns the snapshot; throws
 * CONFIG_INVALID if the stored document no longer validates.
 */
export function publishStored(deps: ApplyDeps): Snapshot {
  const { revision, doc } = deps.store.read();
  const snapshot = compileSnapshot(validateConfig(doc), revision);
  deps.holder.publish(snapshot);
  return snapshot;
}

/** mergeWriteOnly, then the certificate checks that need the merged keys. */
function withStoredKeys(doc: ConfigDoc, stored: ConfigDoc): ConfigDoc {
  const merged = mergeWriteOnly(doc, stored);
  const problems: Problem[] = [];
  merged.certificates.forEach((c, i) => {
    // A key sent with the document was checked by validateConfig; a kept key must fit a new cert.
    if (doc.certificates[i]!.key_pem === undefined) checkCertificate(c, `certificates[${i}]`, true, problems);
  });
  throwIfAny(problems);
  return merged;
}

function summarize(summary: string, diff: readonly string[]): string {
  if (diff.length === 0) return summary;
  const shown = diff.slice(0, SUMMARY_LINES).join("; ");
  const more = diff.length > SUMMARY_LINES ? ` (+${diff.length - SUMMARY_LINES} more)` : "";
  return `${summary}: ${shown}${more}`;
}
