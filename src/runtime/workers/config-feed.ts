/**
 * Control part: turns each revision's validated document into what the workers need to serve it,
 * as a delta from the revision sent before (resources by name, JSON strings, only the changed
 * ones), so a change to one pool of a thousand costs the workers one pool's compile, not a
 * thousand (snapshot-builder.ts). A (re)started worker gets `full()`: everything, same shape.
 */
import type { ConfigDoc } from "../../config/index.ts";
import type { ConfigDelta } from "./protocol.ts";

type Kind = "listeners" | "pools" | "certificates";
const KINDS: readonly Kind[] = ["listeners", "pools", "certificates"];

export class ConfigFeed {
  readonly #sent: Record<Kind, Map<string, string>> = { listeners: new Map(), pools: new Map(), certificates: new Map() };
  #order: Required<ConfigDelta>["order"] = { listeners: [], pools: [], certificates: [] };
  #revision = 0;
  #sentOnce = false;

  /** The revision of the last `next`. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The delta from the last document given to this one, as the JSON a worker takes, with the
   * pools it changes (new or different) and removes.
   */
  next(doc: ConfigDoc, revision: number): { json: string; changedPools: Set<string>; removedPools: string[] } {
    const delta: ConfigDelta = { revision, order: { listeners: [], pools: [], certificates: [] }, listeners: {}, pools: {}, certificates: {} };
    const removedPools: string[] = [];
    for (const kind of KINDS) {
      const sent = this.#sent[kind];
      const seen = new Set<string>();
      for (const r of doc[kind] as readonly { name: string }[]) {
        const json = JSON.stringify(r);
        seen.add(r.name);
        delta.order![kind].push(r.name);
        if (sent.get(r.name) === json) continue;
        sent.set(r.name, json);
        delta[kind][r.name] = json;
      }
      for (const name of sent.keys()) {
        if (seen.has(name)) continue;
        sent.delete(name);
        if (kind === "pools") removedPools.push(name);
      }
    }
    const order = delta.order!;
    const same = KINDS.every((k) => sameList(order[k], this.#order[k]));
    this.#order = order;
    this.#revision = revision;
    if (same && this.#sentOnce) delete delta.order;
    this.#sentOnce = true;
    return { json: JSON.stringify(delta), changedPools: new Set(Object.keys(delta.pools)), removedPools };
  }

  /** Every resource of the last revision, for a worker that has none yet. */
  full(): string {
    const delta: ConfigDelta = { revision: this.#revision, order: this.#order, listeners: {}, pools: {}, certificates: {} };
    for (const kind of KINDS) for (const [name, json] of this.#sent[kind]) delta[kind][name] = json;
    return JSON.stringify(delta);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
