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
  #order: ConfigDelta["order"] = { listeners: [], pools: [], certificates: [] };
  #revision = 0;

  /** The revision of the last `next`. */
  get revision(): number {
    return this.#revision;
  }

  /** The delta from the last document given to this one, as the JSON a worker takes. */
  next(doc: ConfigDoc, revision: number): string {
    const delta: ConfigDelta = { revision, order: { listeners: [], pools: [], certificates: [] }, listeners: {}, pools: {}, certificates: {} };
    for (const kind of KINDS) {
      const sent = this.#sent[kind];
      const seen = new Set<string>();
      for (const r of doc[kind] as readonly { name: string }[]) {
        const json = JSON.stringify(r);
        seen.add(r.name);
        delta.order[kind].push(r.name);
        if (sent.get(r.name) === json) continue;
        sent.set(r.name, json);
        delta[kind][r.name] = json;
      }
      for (const name of sent.keys()) if (!seen.has(name)) sent.delete(name);
    }
    this.#order = delta.order;
    this.#revision = revision;
    return JSON.stringify(delta);
  }

  /** Every resource of the last revision, for a worker that has none yet. */
  full(): string {
    const delta: ConfigDelta = { revision: this.#revision, order: this.#order, listeners: {}, pools: {}, certificates: {} };
    for (const kind of KINDS) for (const [name, json] of this.#sent[kind]) delta[kind][name] = json;
    return JSON.stringify(delta);
  }
}
