/**
 * Keeps a MirrorSink equal to one etcd prefix, applying every revision in order, none lost and none
 * twice, through any outage (ETCD-NOTES §6.3):
 *  - it watches from the sink's applied revision + 1, where applied is the LAST EVENT's mod_revision
 *    (never a response's header.revision: catching-up batches carry the newest store revision, §3.4);
 *  - each response's events go to the sink as one batch (after the consumer, onChange, when the
 *    sink is a write-behind cache: see writeBehind()); a progress notification (sent to synced watchers only)
 *    advances applied to its header revision and marks the mirror in sync;
 *  - it resyncs (a paged read pinned at one revision, diffed into the sink) on first use, when its
 *    resume point was compacted, when etcd's cluster ID changed, or when etcd's revision went
 *    backwards (a restore) as confirmed by a linearizable read;
 *  - on any stream failure it keeps what it has, backs off with jitter, moves to the next member and
 *    resumes. The sink keeps serving its content throughout.
 */
import { Backoff, readPrefix, sleep, watchStream, type EtcdClient, type WatchEnd, type WatchEvent, type WatchResponse } from "./etcd/index.ts";
import { batchChange, type MirrorChange, type MirrorStatus } from "./mirror-change.ts";
import type { MirrorSink } from "./mirror-sink.ts";
import { RevisionWaiters } from "./revision-waiters.ts";

export interface PrefixMirrorOptions {
  client: EtcdClient;
  prefix: string;
  sink: MirrorSink;
  /** A stream silent this long is abandoned: 3× etcd's --experimental-watch-progress-notify-interval. */
  watchdogMs?: number;
  /** Keys per page of a resync read. */
  pageSize?: number;
  /** Called after each change reached the sink (not for progress notifications). */
  onChange?: (change: MirrorChange) => void;
  log?: (msg: string) => void;
}

/** Raised inside a stream handler to leave the stream and resync. */
class ResyncNeeded extends Error {}

export class PrefixMirror {
  private readonly opts: Required<Omit<PrefixMirrorOptions, "onChange" | "log">> & Pick<PrefixMirrorOptions, "onChange" | "log">;
  private readonly backoff: Backoff;
  private readonly stopping = new AbortController();
  private stream: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private needResync = false;
  /** Waiting for a revision the consumer has seen; for one the sink holds too. */
  private readonly seen = new RevisionWaiters();
  private readonly persisted = new RevisionWaiters();
  private persistedRevision: number;
  readonly status: MirrorStatus;

  constructor(opts: PrefixMirrorOptions) {
    this.opts = { watchdogMs: 15_000, pageSize: 500, ...opts };
    this.backoff = new Backoff(opts.client.backoffOptions);
    const s = opts.sink.state();
    this.persistedRevision = s.appliedRevision;
    this.status = {
      phase: "starting",
      appliedRevision: s.appliedRevision,
      clusterId: s.clusterId,
      endpoint: "",
      lastError: "",
      resyncs: 0,
      reconnects: 0,
      duplicatesDropped: 0,
    };
  }

  /** Starts mirroring in the background; the sink serves its current content meanwhile. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the watch and the loop; the sink keeps what was applied. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.stream?.abort();
    await this.loop;
    this.status.phase = "stopped";
    this.seen.cancelAll();
    this.persisted.cancelAll();
  }

  /** Ends the current stream; the mirror resumes at once (e.g. after the node's lease keepalive failed). */
  reconnect(): void {
    this.stream?.abort();
  }

  /** Resolves true once the sink holds `revision` (false at the timeout or on stop). */
  waitForRevision(revision: number, timeoutMs: number): Promise<boolean> {
    return this.persisted.wait(revision, this.persistedRevision, timeoutMs);
  }

  /**
   * Resolves true once onChange has seen `revision` (false at the timeout or on stop): a turn of
   * the event loop before the sink holds it. For a reader of what the consumer built from it.
   */
  waitUntilSeen(revision: number, timeoutMs: number): Promise<boolean> {
    return this.seen.wait(revision, this.status.appliedRevision, timeoutMs);
  }

  private async run(): Promise<void> {
    const { client } = this.opts;
    const leave = client.endpoints.onLeave((left) => {
      if (left !== this.status.endpoint || this.stream?.signal.aborted !== false) return;
      this.opts.log?.(`mirror ${this.opts.prefix}: leaving ${left} (a call there failed)`);
      this.reconnect();
    });
    try {
      while (!this.stopped()) {
        try {
          if (this.needResync || this.status.appliedRevision === 0) {
            if (!(await this.resync())) continue;
          }
          await this.afterStream(await this.watchOnce(client.endpoints.current()));
        } catch (e) {
          // The sink failed outside a stream (e.g. reading its state): keep the loop, try again later.
          this.fail(`mirror failed: ${(e as Error).message}`);
          await sleep(this.backoff.next(), this.stopping.signal);
        }
      }
    } finally {
      leave();
    }
  }

  private stopped(): boolean {
    return this.stopping.signal.aborted || this.opts.client.signal.aborted;
  }

  /** One full read pinned at one revision, diffed into the sink. False (after a backoff) if it failed. */
  private async resync(): Promise<boolean> {
    this.status.phase = "resyncing";
    try {
      const read = await readPrefix(this.opts.client, this.opts.prefix, this.opts.pageSize);
      const keys = this.opts.sink.replace(read.kvs, read.revision, read.header.clusterId);
      this.needResync = false;
      this.status.resyncs++;
      this.applied(read.revision, read.header.clusterId);
      this.stored(read.revision);
      this.opts.log?.(`mirror ${this.opts.prefix}: resynced at revision ${read.revision} (${read.kvs.length} keys, ${keys.length} changed)`);
      const sink = this.opts.sink;
      this.notify({ kind: "resync", revision: read.revision, keys, events: [], get: (k) => sink.get(k), entries: () => sink.entries() });
      return true;
    } catch (e) {
      this.fail(`resync failed: ${(e as Error).message}`);
      await sleep(this.backoff.next(), this.stopping.signal);
      return false;
    }
  }

  private async watchOnce(endpoint: string): Promise<WatchEnd> {
    this.stream = new AbortController();
    this.status.endpoint = endpoint;
    const start = this.status.appliedRevision + 1;
    return watchStream(
      { key: this.opts.prefix, prefix: true, startRevision: start },
      { endpoint, watchdogMs: this.opts.watchdogMs, signal: this.stream.signal, onResponse: (r) => this.onResponse(r) },
    );
  }

  private async afterStream(end: WatchEnd): Promise<void> {
    // The stream is over: leaving its member below is ours, not another call's failure.
    this.stream?.abort();
    if (this.stopped()) return;
    this.status.reconnects++;
    switch (end.reason) {
      case "aborted": // reconnect() asked for a fresh stream: resume at once on the current member
        return;
      case "compacted":
        this.needResync = true;
        this.opts.log?.(`mirror ${this.opts.prefix}: revision ${this.status.appliedRevision + 1} compacted (at ${end.compactRevision}): resync`);
        return;
      case "handler":
        if (end.error instanceof ResyncNeeded) {
          this.needResync = true;
          this.opts.log?.(`mirror ${this.opts.prefix}: ${end.error.message}: resync`);
          return;
        }
        this.fail(`applying failed: ${(end.error as Error).message}`);
        break;
      case "error":
        this.fail(end.error.message);
        break;
      case "silent":
        this.fail(`${this.status.endpoint}: no message for ${end.silentMs} ms`);
        break;
      case "canceled":
        this.fail(`${this.status.endpoint}: watch canceled: ${end.cancelReason}`);
        break;
    }
    this.opts.client.endpoints.rotate(this.status.endpoint);
    await sleep(this.backoff.next(), this.stopping.signal);
  }

  /** A failure is logged once, not at every retry while etcd stays away (the recovery is logged too). */
  private fail(msg: string): void {
    const repeated = this.status.phase === "disconnected" && this.status.lastError === msg;
    this.status.phase = "disconnected";
    this.status.lastError = msg;
    if (!repeated) this.opts.log?.(`mirror ${this.opts.prefix}: ${msg}`);
  }

  private async onResponse(r: WatchResponse): Promise<void> {
    const applied = this.status.appliedRevision;
    if (r.created) return this.onCreated(r, applied, this.status.clusterId);
    if (r.events.length === 0) {
      // A progress notification: nothing under the prefix changed up to header.revision.
      const revision = Math.max(r.header.revision, applied);
      if (revision > applied) this.opts.sink.advance(revision, r.header.clusterId);
      this.status.phase = "in_sync";
      this.applied(revision, r.header.clusterId);
      this.stored(revision);
      return;
    }
    const events = r.events.filter((e) => e.kv.modRevision > applied);
    this.status.duplicatesDropped += r.events.length - events.length;
    if (events.length === 0) return;
    const revision = events[events.length - 1]!.kv.modRevision;
    const sink = this.opts.sink;
    if (!sink.writeBehind) this.store(events, revision, r.header.clusterId);
    // Nothing newer anywhere in etcd than this batch: caught up without waiting for a progress notification.
    if (r.header.revision === revision) this.status.phase = "in_sync";
    this.applied(revision, r.header.clusterId);
    const keys = [...new Set(events.map((e) => e.kv.key))];
    this.notify(batchChange(sink, events, revision, keys));
    if (sink.writeBehind) await this.writeBehind(events, revision, r.header.clusterId);
  }

  /**
   * Writes a batch the consumer already has to a write-behind sink, a turn of the event loop later:
   * what the consumer starts from it (a node compiling, handing out, acknowledging the revision)
   * does not wait for the disk. Such a sink is a cache of etcd: a node that dies before this commits
   * restarts on the sink's previous revision, and its watch from there + 1 replays the batch. The
   * stream's next message waits for this write, so at most one batch is ever unwritten and a watch
   * always resumes from what the sink holds. A write that fails leaves the sink behind the
   * consumer: a resync (diffed against the sink) brings both to one revision again.
   */
  private async writeBehind(events: readonly WatchEvent[], revision: number, clusterId: string): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      this.store(events, revision, clusterId);
    } catch (e) {
      throw new ResyncNeeded(`writing revision ${revision} to the mirror failed (${(e as Error).message})`);
    }
  }

  private store(events: readonly WatchEvent[], revision: number, clusterId: string): void {
    this.opts.sink.applyEvents(events, revision, clusterId);
    this.stored(revision);
  }

  private async onCreated(r: WatchResponse, applied: number, clusterId: string): Promise<void> {
    if (clusterId !== "" && r.header.clusterId !== clusterId) {
      throw new ResyncNeeded(`etcd cluster ID changed from ${clusterId} to ${r.header.clusterId}`);
    }
    if (r.header.revision < applied) {
      // A lagging follower can answer with an older revision too (etcd-io/etcd#20221): ask the leader.
      const now = await this.opts.client.range(this.opts.prefix, { prefix: true, countOnly: true });
      if (now.header.revision < applied) {
        throw new ResyncNeeded(`etcd revision ${now.header.revision} is behind the applied ${applied} (restored?)`);
      }
    }
    this.backoff.reset();
    if (this.status.phase === "disconnected") this.opts.log?.(`mirror ${this.opts.prefix}: watching again on ${this.status.endpoint} from revision ${applied + 1}`);
    this.status.lastError = "";
    this.status.phase = r.header.revision <= applied ? "in_sync" : "catching_up";
  }

  /** The change is taken (the sink holds it or will): a failing consumer is logged, never a reason to replay it. */
  private notify(change: MirrorChange): void {
    try {
      this.opts.onChange?.(change);
    } catch (e) {
      this.opts.log?.(`mirror ${this.opts.prefix}: a change consumer failed at revision ${change.revision}: ${(e as Error).message}`);
    }
  }

  private applied(revision: number, clusterId: string): void {
    this.status.appliedRevision = revision;
    this.status.clusterId = clusterId;
    this.seen.reached(revision);
  }

  private stored(revision: number): void {
    this.persistedRevision = revision;
    this.persisted.reached(revision);
  }
}
