/**
 * Every node's ack (`acks/<name>`: the config revision it applied or refused), mirrored only while
 * this node is asked about them: a ?wait=applied, a GET /v1/cluster. Acks change at every config
 * revision on every node, so a feed on every node would carry nodes × nodes events per revision
 * through etcd's JSON gateway (9 for 3 nodes, most of them to nodes nobody asks); a feed on demand
 * carries them to the one node waiting. The feed lingers after its last use (operators poll), and
 * stops after `lingerMs` without one. A feed that starts resyncs first (one range read), so what it
 * reports is etcd's; until then, and while etcd is away, reads get the acks it last held.
 */
import { MemorySink } from "./mirror-sink.ts";
import type { PrefixMirror } from "./prefix-mirror.ts";
import type { KeyValue } from "./etcd/index.ts";

/** How long the feed stays on after its last use by default. */
export const ACK_FEED_LINGER_MS = 60_000;

export class AckFeed {
  private mirror: PrefixMirror | undefined;
  private sink = new MemorySink();
  /** The last feed's acks, read until a new feed has synced. */
  private previous: MemorySink | undefined;
  private users = 0;
  private lastUse = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** Feeds started so far (a test can see one stop and another start). */
  starts = 0;

  constructor(
    private readonly make: (sink: MemorySink) => PrefixMirror,
    private readonly lingerMs = ACK_FEED_LINGER_MS,
  ) {}

  /** True while a feed runs. */
  get running(): boolean {
    return this.mirror !== undefined;
  }

  /** Starts the feed if it is off; true once it holds etcd's acks, false after `timeoutMs` (reads get the last ones held). */
  async fresh(timeoutMs: number): Promise<boolean> {
    this.lastUse = performance.now();
    if (this.stopped) return false;
    if (!this.mirror) this.start();
    return this.mirror!.waitUntilSeen(1, timeoutMs);
  }

  /** Keeps the feed on until release() (a wait longer than the linger). */
  hold(): void {
    this.users++;
  }

  release(): void {
    this.users--;
    this.lastUse = performance.now();
  }

  /** The acks: the feed's once it has synced, else the ones the last feed held. */
  entries(): KeyValue[] {
    if (this.sink.state().appliedRevision > 0 || !this.previous) return this.sink.entries();
    return this.previous.entries();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.mirror?.stop();
    this.mirror = undefined;
  }

  private start(): void {
    if (this.sink.state().appliedRevision > 0) this.previous = this.sink;
    this.sink = new MemorySink();
    this.mirror = this.make(this.sink);
    this.mirror.start();
    this.starts++;
    this.timer ??= setInterval(() => this.idle(), Math.max(10, this.lingerMs / 2));
    (this.timer as { unref?: () => void }).unref?.();
  }

  private idle(): void {
    if (!this.mirror || this.users > 0 || performance.now() - this.lastUse < this.lingerMs) return;
    const m = this.mirror;
    this.mirror = undefined;
    clearInterval(this.timer);
    this.timer = undefined;
    void m.stop();
  }
}
