/**
 * The node registry: each node's record at `nodes/<name>` under its lease (so a dead node vanishes
 * within the TTL) — admin URL, version, start time — and beside it, at `acks/<name>` under the same
 * lease, the config revision it applied, or the one it refused and why (a NACK, as in Envoy's xDS).
 * The two are apart because they change at different rates: a record changes about never, an ack at
 * every revision, and every node watches the records (membership) while only a node asked about
 * acks (?wait=applied, /v1/cluster) watches those: an ack then reaches one watcher, not every node. A name is
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

/** What `acks/<name>` holds. */
export interface NodeAck {
  applied_revision: number;
  nack?: { revision: number; reason: string };
}

type NodeIdentity = Omit<NodeRecord, "applied_revision" | "nack">;

/** A live node as listed: its record plus how many config revisions it is behind. */
export interface NodeView extends NodeRecord {
  lag: number;
}

export interface NodeRegistryOptions {
  client: EtcdClient;
  keys: ClusterKeys;
  leased: LeasedKeys;
  self: NodeIdentity;
}

export class NodeRegistry {
  private identity: NodeIdentity;
  private ack: NodeAck = { applied_revision: 0 };
  /** Once the name is claimed, record and ack follow every change (before, they wait in memory). */
  private claimed = false;

  constructor(private readonly opts: NodeRegistryOptions) {
    this.identity = { ...opts.self };
  }

  /**
   * Claims the name (create-if-absent under the lease). If another lease holds it, waits up to
   * `waitMs` (default: 2 × the lease TTL + 1 s, so a record left by a killed node surely expires
   * even on a loaded etcd) for it to vanish; then throws NODE_NAME_TAKEN naming the holder. Throws
   * CLUSTER_UNAVAILABLE when etcd cannot be reached.
   */
  async register(waitMs = this.opts.leased.status.ttlS * 2000 + 1000, signal?: AbortSignal): Promise<void> {
    const { client, keys, leased } = this.opts;
    const key = keys.node(this.identity.name);
    const deadline = Date.now() + waitMs;
    for (;;) {
      const value = JSON.stringify(this.identity);
      const lease = leased.leaseId;
      const r = await client.txn(
        { compare: [when.created(key, "=", 0)], success: [op.put(key, value, lease)], failure: [op.get(key)] },
        { idempotent: true },
      );
      const holder = r.responses[0]?.kind === "range" ? r.responses[0].range.kvs[0] : undefined;
      if (r.succeeded || holder?.lease === lease) {
        // The record may have moved meanwhile (setAdminUrl()): adopt only what this txn wrote if it
        // is still the newest, else set it. The ack follows the claim, never precedes it.
        const now = JSON.stringify(this.identity);
        if (r.succeeded && now === value) leased.adopt(key, value, { exclusive: true });
        else leased.set(key, now, { exclusive: true });
        this.claimed = true;
        this.publishAck();
        return;
      }
      if (await liveTwin(holder, this.identity.name)) throw taken(this.identity.name, holder, true);
      if (Date.now() >= deadline || signal?.aborted) throw taken(this.identity.name, holder, false);
      await sleep(Math.min(250, Math.max(1, deadline - Date.now())), signal);
    }
  }

  /** This node now serves config revision `revision` (clears an older NACK). */
  applied(revision: number): void {
    const nack = this.ack.nack && this.ack.nack.revision > revision ? this.ack.nack : undefined;
    this.ack = nack ? { applied_revision: revision, nack } : { applied_revision: revision };
    this.publishAck();
  }

  /** This node cannot apply `revision` (it keeps serving the one before). */
  refused(revision: number, reason: string): void {
    this.ack = { ...this.ack, nack: { revision, reason } };
    this.publishAck();
  }

  /** The admin API's real address, once it is bound (port 0 picks one after the record was made). */
  setAdminUrl(url: string): void {
    if (url === this.identity.admin_url) return;
    this.identity = { ...this.identity, admin_url: url };
    if (this.claimed) this.opts.leased.set(this.opts.keys.node(this.identity.name), JSON.stringify(this.identity), { exclusive: true });
  }

  /** The record and ack as this node last published them (or will, once its name is claimed). */
  current(): NodeRecord {
    return { ...this.identity, ...this.ack };
  }

  private publishAck(): void {
    // Written only while the record is this lease's: a node that lost its name to a twin writes no ack for it.
    const { keys, leased } = this.opts;
    if (this.claimed) leased.set(keys.ack(this.identity.name), JSON.stringify(this.ack), { guard: keys.node(this.identity.name) });
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

/**
 * A node record from its etcd value, or undefined if it is not one. Its applied revision is 0 until
 * its ack is read (listNodes), or the one a record of a version before acks carried.
 */
export function decodeNode(kv: KeyValue): NodeRecord | undefined {
  try {
    const r = JSON.parse(text(kv.value)) as NodeRecord;
    return typeof r.name === "string" ? { ...r, applied_revision: Number(r.applied_revision) || 0 } : undefined;
  } catch {
    return undefined;
  }
}

/** A node's ack from its etcd value (`acks/<name>`), or undefined if it is not one. */
export function decodeAck(kv: KeyValue): NodeAck | undefined {
  try {
    const a = JSON.parse(text(kv.value)) as NodeAck;
    if (typeof a.applied_revision !== "number") return undefined;
    return a.nack ? { applied_revision: a.applied_revision, nack: a.nack } : { applied_revision: a.applied_revision };
  } catch {
    return undefined;
  }
}

/**
 * The live nodes in a mirror of the `nodes/` prefix, by name, each with its ack from `acks` (a
 * mirror of `acks/`: a key's last segment is the node's name) and its lag behind `latestRevision`.
 */
export function listNodes(entries: readonly KeyValue[], latestRevision: number, acks: readonly KeyValue[] = []): NodeView[] {
  const ackOf = new Map<string, NodeAck>();
  for (const kv of acks) {
    const a = decodeAck(kv);
    if (a) ackOf.set(kv.key.slice(kv.key.lastIndexOf("/") + 1), a);
  }
  const out: NodeView[] = [];
  for (const kv of entries) {
    const r = decodeNode(kv);
    if (!r) continue;
    const a = ackOf.get(r.name);
    const n: NodeRecord = a ? { name: r.name, admin_url: r.admin_url, version: r.version, started_at: r.started_at, ...a } : r;
    out.push({ ...n, lag: Math.max(0, latestRevision - n.applied_revision) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
