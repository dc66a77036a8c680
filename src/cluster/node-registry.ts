/**
 * The node registry: each node's record at `nodes/<name>` under its lease (so a dead node vanishes
 * within the TTL), holding what `GET /v1/cluster` shows — admin URL, version, start time, and the
 * config revision it applied, or the one it refused and why (a NACK, as in Envoy's xDS). A name is
 * claimed with a create-if-absent txn: a second node with the same name refuses to start, naming
 * the first: at once when the holder's admin API answers as that node (a live twin), else once the
 * holder has kept the name through two lease TTLs (a node restarting after kill -9 waits for its
 * own old record to expire instead of being refused).
 */
import { LbError } from "../errors.ts";
import { op, sleep, text, when, type EtcdClient, type KeyValue } from "./etcd/index.ts";
import type { ClusterKeys } from "./keys.ts";
import type { LeasedKeys } from "./leased-keys.ts";

/** A node's record, as JSON in etcd (snake_case like the admin API). */
export interface NodeRecord {
  name: string;
  admin_url: string;
  version: string;
  /** ISO 8601 UTC. */
  started_at: string;
  /** The config revision this node serves (0 before the first). */
  applied_revision: number;
  /** The newest revision it could not apply, and why; absent once it applied a later one. */
  nack?: { revision: number; reason: string };
}

/** A live node as listed: its record plus how many config revisions it is behind. */
export interface NodeView extends NodeRecord {
  lag: number;
}

export interface NodeRegistryOptions {
  client: EtcdClient;
  keys: ClusterKeys;
  leased: LeasedKeys;
  self: Omit<NodeRecord, "applied_revision" | "nack">;
}

export class NodeRegistry {
  private record: NodeRecord;

  constructor(private readonly opts: NodeRegistryOptions) {
    this.record = { ...opts.self, applied_revision: 0 };
  }

  /**
   * Claims the name (create-if-absent under the lease). If another lease holds it, waits up to
   * `waitMs` (default: 2 × the lease TTL + 1 s, so a record left by a killed node surely expires
   * even on a loaded etcd) for it to vanish; then throws NODE_NAME_TAKEN naming the holder. Throws
   * CLUSTER_UNAVAILABLE when etcd cannot be reached.
   */
  async register(waitMs = this.opts.leased.status.ttlS * 2000 + 1000, signal?: AbortSignal): Promise<void> {
    const { client, keys, leased } = this.opts;
    const key = keys.node(this.record.name);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const value = JSON.stringify(this.record);
      const lease = leased.leaseId;
      const r = await client.txn(
        { compare: [when.created(key, "=", 0)], success: [op.put(key, value, lease)], failure: [op.get(key)] },
        { idempotent: true },
      );
      const holder = r.responses[0]?.kind === "range" ? r.responses[0].range.kvs[0] : undefined;
      if (r.succeeded || holder?.lease === lease) {
        // The record may have moved meanwhile (applied(), setAdminUrl()), and the lease's flush may
        // have written it: adopt only what this txn wrote if it is still the newest, else set it.
        const now = JSON.stringify(this.record);
        if (r.succeeded && now === value) leased.adopt(key, value, { exclusive: true });
        else leased.set(key, now, { exclusive: true });
        return;
      }
      if (await liveTwin(holder, this.record.name)) throw taken(this.record.name, holder, true);
      if (Date.now() >= deadline || signal?.aborted) throw taken(this.record.name, holder, false);
      await sleep(Math.min(250, Math.max(1, deadline - Date.now())), signal);
    }
  }

  /** This node now serves config revision `revision` (clears an older NACK). */
  applied(revision: number): void {
    const nack = this.record.nack && this.record.nack.revision > revision ? this.record.nack : undefined;
    this.update({ ...this.record, applied_revision: revision, nack });
  }

  /** This node cannot apply `revision` (it keeps serving the one before). */
  refused(revision: number, reason: string): void {
    this.update({ ...this.record, nack: { revision, reason } });
  }

  /** The admin API's real address, once it is bound (port 0 picks one after the record was made). */
  setAdminUrl(url: string): void {
    if (url !== this.record.admin_url) this.update({ ...this.record, admin_url: url });
  }

  /** The record as this node last published it. */
  current(): NodeRecord {
    return { ...this.record };
  }

  private update(next: NodeRecord): void {
    this.record = next;
    this.opts.leased.set(this.opts.keys.node(next.name), JSON.stringify(next), { exclusive: true });
  }
}

/**
 * True when the holder's admin API answers GET /v1/cluster as node `name`: a live twin. A URL that
 * does not answer, asks for a token, or is another node (a loopback address seen from another
 * machine) proves nothing, and the caller waits for the record to expire instead.
 */
async function liveTwin(holder: KeyValue | undefined, name: string): Promise<boolean> {
  const url = holder ? decodeNode(holder)?.admin_url : undefined;
  if (!url || !/^https?:\/\/[^/]+:(?!0$)\d+$/.test(url)) return false;
  try {
    const res = await fetch(`${url}/v1/cluster`, { signal: AbortSignal.timeout(1000) });
    const body = res.ok ? ((await res.json()) as { node?: unknown }) : (await res.body?.cancel(), undefined);
    return body?.node === name;
  } catch {
    return false;
  }
}

/** NODE_NAME_TAKEN naming the holder; details[0].live says whether its admin API answered as that node. */
function taken(name: string, holder: KeyValue | undefined, live: boolean): LbError {
  const rec = holder ? decodeNode(holder) : undefined;
  const who = rec ? ` (admin ${rec.admin_url}, version ${rec.version}, started ${rec.started_at})` : "";
  return new LbError("NODE_NAME_TAKEN", `node name ${JSON.stringify(name)} is taken by a live node${who}; stop it or start this one with another --node`, {
    details: [{ node: name, admin_url: rec?.admin_url ?? "", live }],
  });
}

/** True for a NODE_NAME_TAKEN whose holder answered as that node (not merely a record not yet expired). */
export function takenByLiveTwin(e: unknown): boolean {
  return e instanceof LbError && e.code === "NODE_NAME_TAKEN" && (e.details?.[0] as { live?: boolean } | undefined)?.live === true;
}

/** A node record from its etcd value, or undefined if it is not one. */
export function decodeNode(kv: KeyValue): NodeRecord | undefined {
  try {
    const r = JSON.parse(text(kv.value)) as NodeRecord;
    return typeof r.name === "string" ? { ...r, applied_revision: Number(r.applied_revision) || 0 } : undefined;
  } catch {
    return undefined;
  }
}

/** The live nodes in a mirror of the `nodes/` prefix, by name, with their lag behind `latestRevision`. */
export function listNodes(entries: readonly KeyValue[], latestRevision: number): NodeView[] {
  const out: NodeView[] = [];
  for (const kv of entries) {
    const r = decodeNode(kv);
    if (r) out.push({ ...r, lag: Math.max(0, latestRevision - r.applied_revision) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
