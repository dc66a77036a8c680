/**
 * A config write in a cluster: ONE etcd txn, conditional on the config revision counter holding the
 * revision the change was based on, that rewrites only the shards whose resources changed, moves the
 * counter to revision + 1 and records the history entry. So writes are serialized cluster-wide like
 * the single node's SQLite revision: of two nodes racing from the same revision exactly one wins,
 * the other gets 412, and every node sees the same monotonic revision.
 */
import type { ConfigDoc } from "../config/index.ts";
import { LbError } from "../errors.ts";
import { canonicalJson } from "../config/index.ts";
import { assignPositions } from "./config-positions.ts";
import { childRevisions } from "./config-revisions.ts";
import { encodeShard, RESOURCE_KINDS, resourceId, shardOf, type Shard, type StoredResource } from "./config-shards.ts";
import type { ConfigHistoryEntry, ConfigState } from "./config-state.ts";
import { EtcdError, op, text, when, type EtcdClient, type Txn, type TxnOp } from "./etcd/index.ts";
import type { ClusterKeys } from "./keys.ts";

/** History entries kept in etcd (the oldest is deleted by the write that adds the newest). */
export const HISTORY_KEEP = 1000;
/** etcd's default --max-request-bytes. */
export const DEFAULT_MAX_REQUEST_BYTES = 1.5 * 1024 * 1024;
/** Room left for the txn's framing when comparing with --max-request-bytes. */
const FRAMING_BYTES = 16 * 1024;

export interface ConfigWriteOptions {
  /** The revision the change is based on (If-Match); anything but base.revision is a 412. */
  expectRevision?: number;
  summary: string;
  /** The change's source (api, file, sighup; default api) and file, recorded in the history. */
  source?: string;
  file?: string;
  /** The node taking the write (recorded in the history). */
  node: string;
  /** etcd's --max-request-bytes: a larger write is refused (413) before it is sent. */
  maxRequestBytes?: number;
  deadlineMs?: number;
}

export interface ConfigWriteResult {
  revision: number;
  changed: boolean;
  /** etcd's revision of the write (wait for a mirror to apply this one). */
  etcdRevision: number;
  /** Shard keys written or deleted, and the bytes of keys and values sent. */
  shards: number;
  bytes: number;
}

/** The txn for one write, or undefined when `next` equals the base document. */
export interface ConfigPlan {
  txn: Txn;
  revision: number;
  shards: number;
  bytes: number;
}

/** Plans the txn that turns `base` into `next` (validated by the caller). */
export function planConfigWrite(keys: ClusterKeys, base: ConfigState, next: ConfigDoc, entry: Omit<ConfigHistoryEntry, "revision">): ConfigPlan | undefined {
  const revision = base.revision + 1;
  const { byShard, dirty } = diffResources(base, next, revision);
  if (dirty.size === 0) return undefined;
  const ops: TxnOp[] = [];
  let bytes = 0;
  for (const s of [...dirty].sort((a, b) => a - b)) {
    const content = byShard.get(s);
    const key = keys.shard(s);
    if (!content) ops.push(op.del(key));
    else {
      const value = encodeShard(content);
      bytes += value.byteLength;
      ops.push(op.put(key, value));
    }
    bytes += key.length;
  }
  const history = JSON.stringify({ revision, ...entry } satisfies ConfigHistoryEntry);
  ops.push(op.put(keys.configRevision, String(revision)), op.put(keys.history(revision), history));
  if (revision > HISTORY_KEEP) ops.push(op.del(keys.history(revision - HISTORY_KEEP)));
  bytes += history.length + 64;
  const compare = base.revision === 0 ? when.created(keys.configRevision, "=", 0) : when.value(keys.configRevision, "=", String(base.revision));
  return { txn: { compare: [compare], success: ops, failure: [op.get(keys.configRevision)] }, revision, shards: dirty.size, bytes };
}

/** Canonical JSON of stored documents, kept while the state holding them lives (they never change). */
const storedTexts = new WeakMap<object, string>();

function storedText(doc: object): string {
  let t = storedTexts.get(doc);
  if (t === undefined) storedTexts.set(doc, (t = canonicalJson(doc)));
  return t;
}

/** Each resource of `next` with its position and revision, grouped by shard, and the shards that changed. */
function diffResources(base: ConfigState, next: ConfigDoc, revision: number): { byShard: Map<number, Shard>; dirty: Set<number> } {
  const byShard = new Map<number, Shard>();
  const dirty = new Set<number>();
  const seen = new Set<string>();
  for (const kind of RESOURCE_KINDS) {
    const list = next[kind] as unknown as StoredResource["doc"][];
    const old = new Map<string, number>();
    for (const d of list) {
      const was = base.resources.get(resourceId(kind, d.name));
      if (was) old.set(d.name, was.pos);
    }
    const positions = assignPositions(list.map((d) => d.name), old);
    list.forEach((doc, i) => {
      const id = resourceId(kind, doc.name);
      const was = base.resources.get(id);
      const same = was !== undefined && storedText(was.doc) === canonicalJson(doc);
      const s = shardOf(id);
      if (!same || was.pos !== positions[i]) dirty.add(s);
      let shard = byShard.get(s);
      if (!shard) byShard.set(s, (shard = {}));
      const kids = same ? was.kids : childRevisions(kind, was, doc, revision);
      shard[id] = { rev: same ? was.rev : revision, pos: positions[i]!, doc, ...(kids ? { kids } : {}) };
      seen.add(id);
    });
  }
  for (const id of base.resources.keys()) if (!seen.has(id)) dirty.add(shardOf(id));
  return { byShard, dirty };
}

/**
 * Writes `next` on top of `base` (the mirror's state). Throws PRECONDITION_FAILED (412) when
 * `expectRevision` is not base.revision or another write won the race, PAYLOAD_TOO_LARGE (413) when
 * the change exceeds etcd's request limit, CLUSTER_UNAVAILABLE (503) when etcd cannot be reached or
 * did not confirm (the message then says the write may still be applied).
 */
export async function writeConfig(client: EtcdClient, keys: ClusterKeys, base: ConfigState, next: ConfigDoc, opts: ConfigWriteOptions): Promise<ConfigWriteResult> {
  if (opts.expectRevision !== undefined && opts.expectRevision !== base.revision) throw stale(base.revision, opts.expectRevision);
  const writeId = crypto.randomUUID();
  const entry = { at: new Date().toISOString(), summary: opts.summary, source: opts.source ?? "api", node: opts.node, write_id: writeId };
  const plan = planConfigWrite(keys, base, next, opts.file === undefined ? entry : { ...entry, file: opts.file });
  if (!plan) return { revision: base.revision, changed: false, etcdRevision: 0, shards: 0, bytes: 0 };
  const limit = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  if (plan.bytes + FRAMING_BYTES > limit) throw tooLarge(plan.bytes, limit);
  let r;
  try {
    r = await client.txn(plan.txn, { deadlineMs: opts.deadlineMs });
  } catch (e) {
    if (e instanceof EtcdError && e.tooLarge) throw tooLarge(plan.bytes, limit, e);
    if (e instanceof EtcdError && e.ambiguous) return settle(client, keys, plan, writeId, opts.deadlineMs ?? client.deadlineMs);
    throw e;
  }
  if (!r.succeeded) {
    const got = r.responses[0]?.kind === "range" ? r.responses[0].range.kvs[0] : undefined;
    throw stale(got ? Number(text(got.value)) : 0, base.revision, got?.modRevision ?? r.header.revision);
  }
  return { revision: plan.revision, changed: true, etcdRevision: r.header.revision, shards: plan.shards, bytes: plan.bytes };
}

/** After an unclear failure: our history entry decides whether our write (or another) took the revision. */
async function settle(client: EtcdClient, keys: ClusterKeys, plan: ConfigPlan, writeId: string, deadlineMs: number): Promise<ConfigWriteResult> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    try {
      const h = (await client.range(keys.history(plan.revision))).kvs[0];
      if (h) {
        const entry = JSON.parse(text(h.value)) as ConfigHistoryEntry;
        if (entry.write_id !== writeId) throw stale(plan.revision, plan.revision - 1);
        return { revision: plan.revision, changed: true, etcdRevision: h.modRevision, shards: plan.shards, bytes: plan.bytes };
      }
    } catch (e) {
      if (e instanceof LbError && e.code === "PRECONDITION_FAILED") throw e;
    }
    await Bun.sleep(100);
  }
  throw new LbError("CLUSTER_UNAVAILABLE", `etcd did not confirm the write of revision ${plan.revision}; it may still be applied: read the revision before writing again`);
}

/** A write etcd refused to take (unreachable, no leader): says so, and that nothing was written. */
export function nothingWritten(e: unknown, revision: number): unknown {
  if (!(e instanceof EtcdError) || e.code !== "CLUSTER_UNAVAILABLE" || e.ambiguous) return e;
  return new LbError("CLUSTER_UNAVAILABLE", `the cluster's etcd cannot take writes now (${e.message.replace(/^etcd: /, "")}); nothing was written, the config stays at revision ${revision}`, { cause: e, retryable: true });
}

/**
 * 412. `etcdRevision`, when known, is where the winning write is in etcd: details[0].etcd_revision,
 * so the caller can wait for its mirror to apply it before trying again from a fresh read.
 */
function stale(current: number, expected: number, etcdRevision?: number): LbError {
  const details = etcdRevision === undefined ? undefined : [{ revision: current, etcd_revision: etcdRevision }];
  return new LbError("PRECONDITION_FAILED", `the config is at revision ${current}, not ${expected}`, { details });
}

function tooLarge(bytes: number, limit: number, cause?: unknown): LbError {
  return new LbError(
    "PAYLOAD_TOO_LARGE",
    `this change is ${bytes} bytes in etcd (compressed), over etcd's request limit of ${limit} bytes: raise --max-request-bytes on every etcd member, or make the change in smaller steps`,
    { cause },
  );
}
