/**
 * The config as the etcd layout holds it, decoded from a mirror of the `config/` prefix: the config
 * revision (the counter every write compare-and-swaps, NOT etcd's global revision, which leases and
 * health votes also move), the document, each resource's own revision, and the history.
 */
import type { ConfigDoc } from "../config/index.ts";
import { text, type KeyValue } from "./etcd/index.ts";
import { decodeShard, RESOURCE_KINDS, type LayoutKind, type Shard, type StoredResource } from "./config-shards.ts";
import type { ClusterKeys } from "./keys.ts";

/** One config revision in the history. */
export interface ConfigHistoryEntry {
  revision: number;
  /** ISO 8601 UTC. */
  at: string;
  summary: string;
  /** Where the change came from on that node (the Store contract's ChangeSource: api, file, sighup). */
  source: string;
  /** The config file, for source file and sighup. */
  file?: string;
  /** The node that took the write. */
  node: string;
  /** Random per write: how a writer recognises its own write after an unclear failure. */
  write_id: string;
}

/** Read-only: its documents are the stored resources themselves, shared with every later state. */
export interface ConfigState {
  /** The config revision (0: nothing written yet). */
  revision: number;
  doc: ConfigDoc;
  /** "kind/name" → stored resource (with its revision and position). */
  resources: Map<string, StoredResource>;
  /** Shard index → content, for shards that exist. */
  shards: Map<number, Shard>;
  /** Oldest first. */
  history: ConfigHistoryEntry[];
}

/** An empty state (revision 0, empty document). */
export function emptyConfigState(): ConfigState {
  return { revision: 0, doc: { listeners: [], pools: [], certificates: [] }, resources: new Map(), shards: new Map(), history: [] };
}

/** Decodes every key of the config prefix (others are ignored). Throws INTERNAL on a corrupt shard. */
export function readConfigState(entries: readonly KeyValue[], keys: ClusterKeys): ConfigState {
  const state = emptyConfigState();
  for (const kv of entries) take(state, kv.key, kv, keys);
  state.history.sort((a, b) => a.revision - b.revision);
  state.doc = assemble(state.resources);
  return state;
}

/**
 * `prev` with the keys in `changed` re-read through `get` (undefined: deleted), for a mirror change:
 * only the shards that changed are decoded again. `prev` is left as it was.
 */
export function updateConfigState(prev: ConfigState, changed: readonly string[], get: (key: string) => KeyValue | undefined, keys: ClusterKeys): ConfigState {
  const state: ConfigState = { ...prev, resources: new Map(prev.resources), shards: new Map(prev.shards), history: [...prev.history] };
  for (const key of changed) {
    if (key.startsWith(keys.configShards)) {
      const index = Number(key.slice(keys.configShards.length));
      for (const id of Object.keys(state.shards.get(index) ?? {})) state.resources.delete(id);
      state.shards.delete(index);
    } else if (key.startsWith(keys.configHistory)) {
      const rev = Number(key.slice(keys.configHistory.length));
      state.history = state.history.filter((h) => h.revision !== rev);
    }
    const kv = get(key);
    if (kv) take(state, key, kv, keys);
    else if (key === keys.configRevision) state.revision = 0;
  }
  state.history.sort((a, b) => a.revision - b.revision);
  state.doc = assemble(state.resources);
  return state;
}

function take(state: ConfigState, key: string, kv: KeyValue, keys: ClusterKeys): void {
  if (key === keys.configRevision) state.revision = Number(text(kv.value)) || 0;
  else if (key.startsWith(keys.configShards)) {
    const shard = decodeShard(kv.value, key);
    state.shards.set(Number(key.slice(keys.configShards.length)), shard);
    for (const [id, r] of Object.entries(shard)) state.resources.set(id, r);
  } else if (key.startsWith(keys.configHistory)) {
    try {
      state.history.push(JSON.parse(text(kv.value)) as ConfigHistoryEntry);
    } catch {
      // A history entry that does not parse loses that line of history, nothing else.
    }
  }
}

/** The document: each kind's resources in position order (name breaks a tie). */
function assemble(resources: Map<string, StoredResource>): ConfigDoc {
  const byKind = new Map<LayoutKind, StoredResource[]>(RESOURCE_KINDS.map((k) => [k, []]));
  for (const [id, r] of resources) byKind.get(id.slice(0, id.indexOf("/")) as LayoutKind)?.push(r);
  const order = (a: StoredResource, b: StoredResource) => a.pos - b.pos || (a.doc.name < b.doc.name ? -1 : a.doc.name > b.doc.name ? 1 : 0);
  const docs = (k: LayoutKind) => byKind.get(k)!.sort(order).map((r) => r.doc);
  return { listeners: docs("listeners"), pools: docs("pools"), certificates: docs("certificates") } as unknown as ConfigDoc;
}
