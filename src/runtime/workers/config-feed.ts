/**
 * Control part: turns each revision's validated document into what the workers need to serve it,
 * as a delta from the revision sent before (resources by name, JSON strings, only the changed
 * ones), so a change to one pool of a thousand costs the workers one pool's compile, not a
 * thousand (snapshot-builder.ts). The backends found in DNS ride along the same way, by pool. A
 * (re)started worker gets `full()`: everything, same shape.
 *
 * A resource is unchanged when it is the very object sent (a snapshot that only changed the
 * backends found in DNS comes with the same document) or when the store gives it the revision it
 * had when sent (a store moves a resource's revision whenever its JSON, children included,
 * changes): then nothing of it is serialized, so a revision that edits one pool of a thousand
 * stringifies one pool, not a thousand (about 1 ms and 150 KB of garbage per revision on the
 * control thread). Without revisions a resource is compared by its JSON: measured, JSON.stringify
 * of a just-validated pool is cheaper than walking it beside the previous one. Documents are never
 * modified once validated (a new revision is a new document).
 */
import type { ConfigDoc, FoundBackend, Snapshot } from "../../config/index.ts";
import type { ConfigDelta } from "./protocol.ts";

/**
 * The backends of each pool of `snap` named in `pools` that were found in DNS (pools without any
 * left out). `pools`: those that look names up (ConfigFeed gives them), so a revision does not
 * walk a thousand pools, nor list them, to find the few that do.
 */
export function foundIn(snap: Snapshot, pools: Iterable<string>): Map<string, FoundBackend[]> {
  const out = new Map<string, FoundBackend[]>();
  for (const name of pools) {
    const p = snap.pools[name];
    if (p?.discovery === undefined) continue;
    const found: FoundBackend[] = [];
    for (const b of p.backends) {
      if (b.discoveredFrom !== undefined) found.push({ host: b.host, port: b.port, weight: b.weight, state: b.state === "draining" ? "draining" : "active" });
    }
    if (found.length > 0) out.set(p.name, found);
  }
  return out;
}

/** Backends found in DNS by pool, or how to get them given the pools of the document that look names up. */
export type FoundSource = ReadonlyMap<string, FoundBackend[]> | ((discovering: ReadonlySet<string>) => ReadonlyMap<string, FoundBackend[]>);

type Kind = "listeners" | "pools" | "certificates";
const KINDS: readonly Kind[] = ["listeners", "pools", "certificates"];
/** Each kind's name in the store's resource keys ("pool/NAME"). */
const RESOURCE: Record<Kind, string> = { listeners: "listener", pools: "pool", certificates: "certificate" };

/** What was sent of one resource: the document's object, its JSON, its key and revision in the store (if known). */
interface Sent {
  r: object;
  json: string;
  readonly key: string;
  rev: number | undefined;
}

/** Per-resource revisions as a store gives them, by resource key ("pool/web"); see src/store. */
export type ResourceRevisions = ReadonlyMap<string, number>;

/**
 * Where they are read from: a stored config, read only for a resource that is not the object sent
 * (a cluster store computes them on first read, walking every backend: a revision whose unchanged
 * resources are the same objects never asks).
 */
export interface RevisionSource {
  readonly resources?: ResourceRevisions;
}

export class ConfigFeed {
  /** What was sent of each resource, by name. */
  readonly #sent: Record<Kind, Map<string, Sent>> = { listeners: new Map(), pools: new Map(), certificates: new Map() };
  /** The same, in the order of `#order`. */
  readonly #aligned: Record<Kind, Sent[]> = { listeners: [], pools: [], certificates: [] };
  #order: Required<ConfigDelta>["order"] = { listeners: [], pools: [], certificates: [] };
  /** The found backends sent, by pool, as JSON. */
  readonly #found = new Map<string, string>();
  /** The pools sent that have `discovery` (their backends are looked up in DNS). */
  readonly #discovering = new Set<string>();
  #revision = 0;
  #sentOnce = false;

  /** The revision of the last `next`. */
  get revision(): number {
    return this.#revision;
  }

  /**
   * The delta from the last document (and backends found in DNS) given to this one, as the JSON a
   * worker takes, with the pools it changes (new, different, or with other backends found) and removes.
   * `resources`: the store's revision of each resource of `doc`, when known.
   */
  next(
    doc: ConfigDoc,
    revision: number,
    found: FoundSource = NONE_FOUND,
    resources?: RevisionSource,
  ): { json: string; changedPools: Set<string>; removedPools: string[] } {
    const delta: ConfigDelta = { revision, listeners: {}, pools: {}, certificates: {} };
    const order = { ...this.#order };
    let reordered = !this.#sentOnce;
    const removedPools: string[] = [];
    for (const kind of KINDS) {
      const sent = this.#sent[kind];
      const list = doc[kind] as readonly { name: string }[];
      // The names in order, as a new list only when they differ from those sent (an edit of a thousand pools moves none).
      const same = sameNames(list, order[kind]);
      if (!same) {
        order[kind] = list.map((r) => r.name);
        reordered = true;
      }
      // The same names in the same order: what was sent of each is at its index, no lookup by name.
      const aligned = same ? this.#aligned[kind] : undefined;
      for (let i = 0; i < list.length; i++) {
        const r = list[i]!;
        const json = this.#changed(kind, r, resources, aligned?.[i]);
        if (json !== undefined) delta[kind][r.name] = json;
      }
      if (!same) this.#aligned[kind] = list.map((r) => sent.get(r.name)!);
      if (sent.size === list.length) continue; // names are unique: every one sent is still there
      const seen = new Set(order[kind]);
      for (const name of sent.keys()) {
        if (seen.has(name)) continue;
        sent.delete(name);
        if (kind !== "pools") continue;
        removedPools.push(name);
        this.#discovering.delete(name);
      }
    }
    this.#order = order;
    this.#revision = revision;
    if (reordered) delta.order = order;
    this.#sentOnce = true;
    const changedPools = new Set(Object.keys(delta.pools));
    if (typeof found === "function") found = found(this.#discovering);
    const foundDelta = this.#foundDelta(found);
    if (foundDelta) {
      delta.found = foundDelta;
      for (const name of Object.keys(foundDelta)) if (found.has(name) || !removedPools.includes(name)) changedPools.add(name);
    }
    return { json: JSON.stringify(delta), changedPools, removedPools };
  }

  /** The JSON of `r` when it differs from what was sent of it (`sent`, when the caller has it at hand; recorded as sent), else undefined. */
  #changed(kind: Kind, r: { name: string }, resources: RevisionSource | undefined, sent?: Sent): string | undefined {
    const had = sent ?? this.#sent[kind].get(r.name);
    if (had === undefined) {
      const key = `${RESOURCE[kind]}/${r.name}`;
      const json = JSON.stringify(r);
      this.#sent[kind].set(r.name, { r, json, key, rev: resources?.resources?.get(key) });
      this.#noteDiscovery(kind, r);
      return json;
    }
    if (had.r === r) return undefined;
    const rev = resources?.resources?.get(had.key);
    had.r = r;
    if (rev !== undefined && rev === had.rev) return undefined;
    had.rev = rev;
    const json = JSON.stringify(r);
    if (had.json === json) return undefined;
    had.json = json;
    this.#noteDiscovery(kind, r);
    return json;
  }

  #noteDiscovery(kind: Kind, r: { name: string }): void {
    if (kind !== "pools") return;
    if ((r as { discovery?: unknown }).discovery !== undefined) this.#discovering.add(r.name);
    else this.#discovering.delete(r.name);
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
    for (const kind of KINDS) for (const [name, { json }] of this.#sent[kind]) delta[kind][name] = json;
    if (this.#found.size > 0) delta.found = Object.fromEntries([...this.#found].map(([name, json]) => [name, JSON.parse(json) as FoundBackend[]]));
    return JSON.stringify(delta);
  }
}

const NONE_FOUND: ReadonlyMap<string, FoundBackend[]> = new Map();

function sameNames(list: readonly { name: string }[], names: readonly string[]): boolean {
  if (list.length !== names.length) return false;
  for (let i = 0; i < list.length; i++) if (list[i]!.name !== names[i]) return false;
  return true;
}
