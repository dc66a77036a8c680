/**
 * One attempt of the write path, as pure steps over what the store holds: validate the input,
 * keep stored keys of certificates sent without one, diff, compile. ConfigControl (control.ts)
 * runs these, then preflight, store and publish, in that order, so a document that does not
 * compile or cannot be served is never stored and the previous snapshot keeps serving.
 */
import {
  caOnlyCertificates,
  checkCertificate,
  compileSnapshot,
  diffConfig,
  mergeWriteOnly,
  sameDoc,
  throwIfAny,
  validateConfig,
  type ConfigDoc,
  type Problem,
  type Snapshot,
} from "../config/index.ts";
import type { StoredConfig } from "../store/index.ts";

/** What a change would do to the stored config; nothing is written to compute it. */
export interface Plan {
  /** The document as it would be stored: validated, defaults filled, stored keys merged back. */
  doc: ConfigDoc;
  /** diffConfig(stored, doc): one line per change, secrets never shown. */
  diff: string[];
  /** False when `doc` equals the stored document (key order ignored). */
  changed: boolean;
  /**
   * Compiled: at the stored revision when unchanged (the held snapshot when it is that one), else
   * at the stored revision + 1, relabelled with the revision the store assigns (relabel()).
   */
  snapshot: Snapshot;
}

/** How many diff lines go into a history summary. */
const SUMMARY_LINES = 5;

/**
 * Plans replacing `current` with `input`. Throws CONFIG_INVALID (400) with every problem's path
 * when `input` does not validate or compile. `held` is the snapshot being served: reused when it
 * already is the stored revision, so an unchanged write compiles nothing.
 */
export function planChange(current: StoredConfig, input: unknown, held: Snapshot | undefined): Plan {
  const doc = withStoredKeys(validateConfig(input), current.doc);
  const diff = diffConfig(current.doc, doc);
  if (sameDoc(doc, current.doc)) {
    const snapshot = held?.revision === current.revision ? held : compileSnapshot(doc, current.revision, held);
    return { doc, diff, changed: false, snapshot };
  }
  return { doc, diff, changed: true, snapshot: compileSnapshot(doc, current.revision + 1, held) };
}

/** `snapshot` at `revision`: itself when it already is, else a shallow copy (its parts are frozen and shared). */
export function relabel(snapshot: Snapshot, revision: number): Snapshot {
  return snapshot.revision === revision ? snapshot : Object.freeze({ ...snapshot, revision });
}

/** mergeWriteOnly, then the certificate checks that need the merged keys. */
function withStoredKeys(doc: ConfigDoc, stored: ConfigDoc): ConfigDoc {
  const merged = mergeWriteOnly(doc, stored);
  const problems: Problem[] = [];
  const caOnly = caOnlyCertificates(merged);
  merged.certificates.forEach((c, i) => {
    // A key sent with the document was checked by validateConfig; a kept key must fit a new cert.
    // A certificate used only as a client_auth CA needs none.
    if (doc.certificates[i]!.key_pem === undefined) checkCertificate(c, `certificates[${i}]`, !caOnly.has(c.name), problems);
  });
  throwIfAny(problems);
  return merged;
}

/** The history summary: what did it ("PUT /v1/config"), then the first diff lines. */
export function summarize(summary: string, diff: readonly string[]): string {
  if (diff.length === 0) return summary;
  const shown = diff.slice(0, SUMMARY_LINES).join("; ");
  const more = diff.length > SUMMARY_LINES ? ` (+${diff.length - SUMMARY_LINES} more)` : "";
  return `${summary}: ${shown}${more}`;
}
