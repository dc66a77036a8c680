/**
 * A node's keys under its lease (registration, health votes): the lease is kept alive every TTL/3
 * through any outage (errors are ignored, ETCD-NOTES §3.7, since etcd revives leases when it comes
 * back); when a keepalive says the lease is gone (TTL 0: the node was frozen or cut off too long) a
 * new lease is granted and every key is put again. Writes are desired state: set() records the value
 * and a background flush writes what changed, in txns of at most `maxOps`, retrying until it lands.
 * stop() revokes the lease, so watchers see every key deleted at once, unless the lease was handed
 * to the node that upgrades this one (`continueLease` on its side): then the record never vanishes.
 */
import { Backoff, EtcdError, op, sleep, when, type EtcdClient, type KeyValue, type TxnOp } from "./etcd/index.ts";

export interface LeasedKeysOptions {
  client: EtcdClient;
  /** Lease TTL in seconds (etcd's minimum is about 1.5× its election timeout). */
  ttlS: number;
  /** A lease to carry on if it is still alive (an upgrade: the node replaced hands over its own). */
  continueLease?: string;
  /** Operations per txn; at most etcd's --max-txn-ops (128 by default). */
  maxOps?: number;
  /** Two keepalives in a row failed: the member may be frozen or cut off (watches may move). */
  onTrouble?: (endpoint: string) => void;
  /** An exclusive key is held by another lease (another node took the name): it is no longer ours. */
  onConflict?: (key: string, holder: KeyValue) => void;
  log?: (msg: string) => void;
}

export interface LeasedKeysStatus {
  leaseId: string;
  ttlS: number;
  /** Leases granted (1 after start; more after each loss). */
  grants: number;
  keepaliveFailures: number;
  /** Keys whose newest value is not yet in etcd. */
  pending: number;
  lastError: string;
}

interface Desired {
  value: string;
  exclusive: boolean;
  /** Written only while this key is held by the lease (see putGuarded). */
  guard?: string;
}

export class LeasedKeys {
  private readonly desired = new Map<string, Desired>();
  /** key → generation of the change not yet written (a delete when the key is not desired). */
  private readonly dirty = new Map<string, number>();
  private gen = 0;
  private readonly stopping = new AbortController();
  private kick: (() => void) | undefined;
  private loops: Promise<void>[] = [];
  private regranting: Promise<void> | undefined;
  private flushWaiters: (() => void)[] = [];
  readonly status: LeasedKeysStatus;

  constructor(private readonly opts: LeasedKeysOptions) {
    this.status = { leaseId: "0", ttlS: opts.ttlS, grants: 0, keepaliveFailures: 0, pending: 0, lastError: "" };
  }

  get leaseId(): string {
    return this.status.leaseId;
  }

  /** Carries on `continueLease` or grants a lease (throws CLUSTER_UNAVAILABLE when etcd cannot be reached); starts the loops. */
  async start(): Promise<void> {
    if (!(await this.carryOn())) await this.grant();
    this.loops = [this.keepaliveLoop(), this.flushLoop()];
  }

  /**
   * Wants `key` = `value` under the lease. `exclusive`: written only while absent or already ours.
   * `guard`: written only while that other key (set here too) is ours: a node's ack, say, follows
   * its name's record, so a node that lost its name to a twin writes no ack in its stead.
   */
  set(key: string, value: string, opts: { exclusive?: boolean; guard?: string } = {}): void {
    const was = this.desired.get(key);
    if (was && was.value === value && !this.dirty.has(key)) return;
    this.desired.set(key, { value, exclusive: opts.exclusive ?? false, ...(opts.guard ? { guard: opts.guard } : {}) });
    this.markDirty(key);
  }

  /** Records `key` as already written (by the caller's own txn) under the current lease. */
  adopt(key: string, value: string, opts: { exclusive?: boolean } = {}): void {
    this.desired.set(key, { value, exclusive: opts.exclusive ?? false });
  }

  /** Wants `key` gone. */
  delete(key: string): void {
    if (!this.desired.delete(key) && !this.dirty.has(key)) return;
    this.markDirty(key);
  }

  /** The value last set for `key`. */
  get(key: string): string | undefined {
    return this.desired.get(key)?.value;
  }

  /** Resolves true once every change so far is in etcd (false at the timeout). */
  flushed(timeoutMs: number): Promise<boolean> {
    if (this.dirty.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.flushWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Stops the loops and (by default) revokes the lease, deleting every key under it. */
  async stop(opts: { revoke?: boolean } = {}): Promise<void> {
    this.stopping.abort();
    this.kick?.();
    await Promise.all(this.loops);
    if ((opts.revoke ?? true) && this.status.leaseId !== "0") {
      await this.opts.client.leaseRevoke(this.status.leaseId, { deadlineMs: 2000 }).catch((e: Error) => {
        this.opts.log?.(`lease ${this.status.leaseId}: revoke failed (${e.message}); its keys expire in ${this.opts.ttlS} s`);
      });
    }
  }

  private markDirty(key: string): void {
    this.dirty.set(key, ++this.gen);
    this.status.pending = this.dirty.size;
    this.kick?.();
  }

  /** True when the lease handed over is still alive and is now this node's (its TTL as etcd says). */
  private async carryOn(): Promise<boolean> {
    const id = this.opts.continueLease;
    if (id === undefined || id === "0") return false;
    const ttl = await this.opts.client.leaseKeepAlive(id).catch(() => 0);
    if (ttl <= 0) return false;
    this.status.leaseId = id;
    return true;
  }

  private async grant(): Promise<void> {
    const g = await this.opts.client.leaseGrant(this.opts.ttlS);
    this.status.leaseId = g.id;
    this.status.ttlS = g.ttl;
    this.status.grants++;
  }

  /** After a loss: a new lease (retried until it is granted), then every key again. */
  private regrant(): Promise<void> {
    this.regranting ??= (async () => {
      const backoff = new Backoff(this.opts.client.backoffOptions);
      while (!this.stopping.signal.aborted) {
        try {
          await this.grant();
          this.opts.log?.(`lease lost; granted ${this.status.leaseId}, putting ${this.desired.size} keys again`);
          for (const key of this.desired.keys()) this.markDirty(key);
          return;
        } catch (e) {
          this.status.lastError = (e as Error).message;
          await sleep(backoff.next(), this.stopping.signal);
        }
      }
    })().finally(() => (this.regranting = undefined));
    return this.regranting;
  }

  private async keepaliveLoop(): Promise<void> {
    const periodMs = Math.max(300, (this.status.ttlS * 1000) / 3);
    while (!this.stopping.signal.aborted) {
      await sleep(periodMs, this.stopping.signal);
      if (this.stopping.signal.aborted) return;
      const endpoint = this.opts.client.endpoints.current();
      try {
        const ttl = await this.opts.client.leaseKeepAlive(this.status.leaseId, { deadlineMs: periodMs });
        this.status.keepaliveFailures = 0;
        if (ttl <= 0) await this.regrant();
      } catch (e) {
        this.status.lastError = (e as Error).message;
        if (++this.status.keepaliveFailures === 2) this.opts.onTrouble?.(endpoint);
      }
    }
  }

  private async flushLoop(): Promise<void> {
    const backoff = new Backoff(this.opts.client.backoffOptions);
    while (!this.stopping.signal.aborted) {
      if (this.dirty.size === 0) {
        for (const w of this.flushWaiters.splice(0)) w();
        await new Promise<void>((resolve) => (this.kick = resolve));
        this.kick = undefined;
        continue;
      }
      try {
        await this.flushOnce();
        backoff.reset();
      } catch (e) {
        this.status.lastError = (e as Error).message;
        if (e instanceof EtcdError && /lease not found/i.test(e.message)) await this.regrant();
        else await sleep(backoff.next(), this.stopping.signal);
      }
    }
  }

  /** Writes the current dirty keys: exclusive ones one by one, the rest in txns of `maxOps`. */
  private async flushOnce(): Promise<void> {
    const batch = [...this.dirty.entries()];
    const plain: [string, number][] = [];
    for (const [key, g] of batch) {
      const d = this.desired.get(key);
      if (d?.guard) {
        if (await this.putGuarded(key, d.value, d.guard)) this.clean(key, g);
      } else if (d?.exclusive) {
        if (await this.putExclusive(key, d.value)) this.clean(key, g);
      } else plain.push([key, g]);
    }
    const maxOps = this.opts.maxOps ?? 100;
    for (let i = 0; i < plain.length; i += maxOps) {
      const chunk = plain.slice(i, i + maxOps);
      const ops: TxnOp[] = chunk.map(([key]) => {
        const d = this.desired.get(key);
        return d ? op.put(key, d.value, this.status.leaseId) : op.del(key);
      });
      await this.opts.client.txn({ compare: [], success: ops }, { idempotent: true });
      for (const [key, g] of chunk) this.clean(key, g);
    }
  }

  /**
   * Puts `key` if it is absent or ours; true once written or found held by another lease (then
   * onConflict, and it is no longer wanted), false to try again later. The key can turn ours
   * between the two txns (this node's own claim, NodeRegistry.register, creating it with an older
   * value): then the lease-compared put is tried again, or etcd would keep the older value.
   */
  private async putExclusive(key: string, value: string): Promise<boolean> {
    const lease = this.status.leaseId;
    const client = this.opts.client;
    for (let attempt = 0; attempt < 3; attempt++) {
      const mine = await client.txn({ compare: [when.lease(key, "=", lease)], success: [op.put(key, value, lease)] }, { idempotent: true });
      if (mine.succeeded) return true;
      const fresh = await client.txn(
        { compare: [when.created(key, "=", 0)], success: [op.put(key, value, lease)], failure: [op.get(key)] },
        { idempotent: true },
      );
      if (fresh.succeeded) return true;
      const r = fresh.responses[0];
      const holder = r?.kind === "range" ? r.range.kvs[0] : undefined;
      if (holder?.lease === lease) continue;
      this.desired.delete(key);
      this.opts.log?.(`${key} is held by lease ${holder?.lease ?? "?"}: no longer ours`);
      if (holder) this.opts.onConflict?.(key, holder);
      return true;
    }
    return false;
  }

  /**
   * Puts `key` while `guard` is held by this lease; true once written or no longer wanted. A guard
   * held by another lease means the name is another node's: `key` is dropped (onConflict). An
   * absent guard this node wants (a lease lost, a record deleted by hand) is put again first.
   */
  private async putGuarded(key: string, value: string, guard: string): Promise<boolean> {
    const lease = this.status.leaseId;
    const r = await this.opts.client.txn(
      { compare: [when.lease(guard, "=", lease)], success: [op.put(key, value, lease)], failure: [op.get(guard)] },
      { idempotent: true },
    );
    if (r.succeeded) return true;
    const holder = r.responses[0]?.kind === "range" ? r.responses[0].range.kvs[0] : undefined;
    if (!holder && this.desired.has(guard)) {
      this.markDirty(guard);
      return false;
    }
    this.desired.delete(key);
    this.opts.log?.(`${key}: ${guard} is held by lease ${holder?.lease ?? "none"}: no longer ours`);
    if (holder) this.opts.onConflict?.(key, holder);
    return true;
  }

  private clean(key: string, g: number): void {
    // A newer set() or delete() while the write was in flight keeps the key dirty.
    if (this.dirty.get(key) === g) this.dirty.delete(key);
    this.status.pending = this.dirty.size;
  }
}
