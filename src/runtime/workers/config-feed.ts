/**
 * Control part: turns each revision's validated document into what the workers need to serve it,
 * as a delta from the revision sent before (resources by name, JSON strings, only the changed
 * ones), so a change to one pool of a thousand costs the workers one pool's compile, not a
 * thousand (snapshot-builder.ts). The backends found in DNS ride along the same way, by pool. A
 * (re)started worker gets `full()`: everything, same shape.
 */
import type { ConfigDoc, FoundBackend, Snapshot } from "../../config/index.ts";
import type { ConfigDelta } from "./protocol.ts";

/** The backends of each pool of `snap` that were found in DNS (pools without any left out). */
export function foundIn(snap: Snapshot): Map<string, FoundBackend[]> {
  const out = new Map<string, FoundBackend[]>();
  for (const p of Object.values(snap.pools)) {
    if (p.discovery === undefined) continue;
    const found: FoundBackend[] = [];
    for (const b of p.backends) {
      if (b.discoveredFrom !== undefined) found.push({ host: b.host, port: b.port, weight: b.weight, state: b.state === "draining" ? "draining" : "active" });
    }
    if (found.length > 0) out.set(p.name, found);
  }
  return out;
}

type Kind = "listeners" | "pools" | "certificates";
const KINDS: readonly Kind[] = ["listeners", "pools", "certificates"];

export class ConfigFeed {
  readonly #sent: Record<Kind, Map<string, string>> = { listeners: new Map(), pools: new Map(), certificates: new Map() };
  #order: Required<ConfigDelta>["order"] = { listeners: [], pools: [], certificates: [] };
  /** The found backends sent, by pool, as JSON. */
  readonly #found = new Map<string, string>();
  #revision = 0;
  #sentOnce = false;

  /** The revision of the last `next`. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The delta from the last document (and backends found in DNS) given to this one, as the JSON a
   * worker takes, with the pools it changes (new, different, or with other backends found) and removes.
   */
  next(doc: ConfigDoc, revision: number, found: ReadonlyMap<string, FoundBackend[]> = new Map()): { json: string; changedPools: Set<string>; removedPools: string[] } {
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
    const changedPools = new Set(Object.keys(delta.pools));
    const foundDelta = this.#foundDelta(found);
    if (foundDelta) {
      delta.found = foundDelta;
      for (const name of Object.keys(foundDelta)) if (found.has(name) || !removedPools.includes(name)) changedPools.add(name);
    }
    return { json: JSON.stringify(delta), changedPools, removedPools };
  }

  /** Pools whose found backends differ from those sent last (null: none now); undefined when none differ. */
  #foundDelta(found: ReadonlyMap<string, FoundBackend[]>): Record<string, FoundBackend[] | null> | undefined {
    let out: Record<string, FoundBackend[] | null> | undefined;
    for (const [name, list] of found) {
      const json = JSON.stringify(list);
      if (this.#found.get(name) === json) continue;
      this.#found.set(name, json);
      (out ??= {})[name] = list;
    }
    for (const name of [...this.#found.keys()]) {
      if (found.has(name)) continue;
      this.#found.delete(name);
      (out ??= {})[name] = null;
    }
    return out;
  }

  /** Every resource of the last revision, for a worker that has none yet. */
  full(): string {
    const delta: ConfigDelta = { revision: this.#revision, order: this.#order, listeners: {}, pools: {}, certificates: {} };
    for (const kind of KINDS) for (const [name, json] of this.#sent[kind]) delta[kind][name] = json;
    if (this.#found.size > 0) delta.found = Object.fromEntries([...this.#found].map(([name, json]) => [name, JSON.parse(json) as FoundBackend[]]));
    return JSON.stringify(delta);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
