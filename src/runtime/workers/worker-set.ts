/**
 * Control part: a node's N workers. Starts them, hands each published revision to all of them
 * (config-feed.ts deltas, gauge slots, and the ports of port-0 listeners, port-pins.ts: a new one
 * goes to the first worker alone, then to the rest with its port), relays health, knows which
 * revision every worker has applied, asks them all for counters and sockets (worker-asks.ts),
 * restarts one that dies (worker-restarts.ts) and stops them all with a drain. Everything it posts
 * to a worker goes through one ordered channel.
 */
import type { ConfigDoc, Snapshot } from "../../config/index.ts";
import type { EventLog } from "../../obs/index.ts";
import { planSlots, type NodeShareLayout } from "../shared/node-share.ts";
import type { KeyTableLayout, SlotBook } from "../shared/index.ts";
import { ConfigFeed, foundIn, type RevisionSource } from "./config-feed.ts";
import type { HealthRelay } from "./health-relay.ts";
import { LogEcho } from "./log-echo.ts";
import { PortPins } from "./port-pins.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import type { HandedListener } from "../handover/handoff.ts";
import { askAll, mergeSockets, within } from "./worker-asks.ts";
import { WorkerHandle, type WorkerExit } from "./worker-handle.ts";
import { RestartPolicy, Spare } from "./worker-restarts.ts";

export interface WorkerSetOptions {
  count: number;
  share: NodeShareLayout;
  rates: KeyTableLayout;
  book: SlotBook;
  log: EventLog;
  faults: boolean;
  /** Gives back, in shared memory, what a dead worker held (its gauges' units, per-client counts). */
  reclaim(id: number): void;
  /** Told before a dead worker's handle is dropped (its counters join the node's retired totals). */
  onDeath?(h: WorkerHandle): void;
  /** Listening sockets a worker adopts instead of binding (an upgrade's hand-over), by worker index; asked once per worker index. */
  inherited?: (id: number) => Record<string, { fds: number[]; port: number }>;
}

export class WorkerSet {
  readonly handles: (WorkerHandle | undefined)[];
  /** Restarts per worker index. */
  readonly restarts: number[];
  readonly #feed = new ConfigFeed();
  /** The slots every worker has been told, by gauge name. */
  readonly #slots = new Map<string, number>();
  readonly #pins = new PortPins();
  readonly #echo = new LogEcho();
  readonly #policy: RestartPolicy;
  readonly #spare: Spare;
  #relay: HealthRelay | undefined;
  #chain: Promise<void> = Promise.resolve();
  #seq = 0;
  #askSeq = 0;
  /** The latest revision given to publish(). */
  #handed = -1;
  #stopping = false;
  #published = false;
  readonly #appliedWaiters: { revision: number; done: () => void }[] = [];

  constructor(private readonly opts: WorkerSetOptions) {
    this.handles = new Array(opts.count).fill(undefined);
    this.restarts = new Array(opts.count).fill(0);
    this.#policy = new RestartPolicy(opts.count);
    this.#spare = new Spare(() => this.#handle(-1), opts.log);
  }

  /** The health relay whose verdicts go to every worker (set once, before the first revision). */
  set relay(r: HealthRelay) {
    this.#relay = r;
  }

  /** Live workers. */
  live(): WorkerHandle[] {
    return this.handles.filter((h): h is WorkerHandle => h !== undefined && h.alive);
  }

  /** Starts every worker (they serve once the first revision reaches them). */
  start(): void {
    for (let id = 0; id < this.opts.count; id++) this.#spawn(id);
    this.#spare.start();
  }

  /**
   * Queues revision `snap` (its validated document `doc`, with the store's revision of each
   * resource when known) for every worker; resolves once it is posted to all.
   */
  publish(snap: Snapshot, doc: ConfigDoc, resources?: RevisionSource): Promise<void> {
    this.#handed = Math.max(this.#handed, snap.revision);
    this.#chain = this.#chain.then(() => this.#publish(snap, doc, resources));
    return this.#chain;
  }

  /** Resolves when every live worker has applied `revision` (or a later one). */
  applied(revision: number): Promise<void> {
    return new Promise((done) => {
      this.#appliedWaiters.push({ revision, done });
      this.#checkApplied();
    });
  }

  /**
   * Resolves once no hand-out is in flight (every live worker applied the latest revision
   * published), checked again after each wait since another may have begun; after `maxMs` at most.
   */
  async quiet(maxMs: number): Promise<void> {
    const until = performance.now() + maxMs;
    while (this.handingOut()) {
      const left = until - performance.now();
      if (left <= 0) return;
      await within([this.applied(this.#handed)], left);
    }
  }

  /** Whether a published revision has not reached every live worker yet (false once stopping). */
  handingOut(): boolean {
    return this.appliedRevision() < this.#handed && !this.#stopping;
  }

  /** Revision every live worker has applied (-1 before the first). */
  appliedRevision(): number {
    const live = this.live();
    return live.length === 0 ? -1 : Math.min(...live.map((h) => h.appliedRevision));
  }

  /** Posts to every live worker. */
  broadcast(m: ToWorker): void {
    for (const h of this.live()) h.post(m);
  }

  /** Asks every live worker for its counters (and metrics); resolves when all answered or `timeoutMs` passed. */
  async collect(metrics: boolean, timeoutMs = 2_000): Promise<void> {
    const seq = ++this.#askSeq;
    await askAll(this.live(), seq, { t: "collect", seq, metrics }, timeoutMs);
  }

  /** Every worker's listening sockets, by listener (one descriptor per worker that holds one). */
  async sockets(timeoutMs = 2_000): Promise<HandedListener[]> {
    const seq = ++this.#askSeq;
    const live = this.live();
    await askAll(live, seq, { t: "fds", seq }, timeoutMs);
    return mergeSockets(live);
  }

  /** Has every worker write out and reopen its access log files; resolves to their paths, each once. */
  async reopenLogs(timeoutMs = 2_000): Promise<string[]> {
    const seq = ++this.#askSeq;
    const live = this.live();
    await askAll(live, seq, { t: "reopenLogs", seq }, timeoutMs);
    return [...new Set(live.flatMap((h) => h.reopened))];
  }

  /** The port the workers bound for port-0 listener `name`, once one of them has. */
  pinnedPort(name: string): number | undefined {
    return this.#pins.port(name);
  }

  /** Seeds the port of a port-0 listener taken over from an upgraded node (every worker binds it). */
  pin(name: string, address: string, port: number): void {
    this.#pins.pin(name, address, port);
  }

  /**
   * Drains and stops every worker: `graceMs` for open work, then whatever is left is ended.
   * `closed` is called once no worker accepts any more (or after a second).
   */
  async stop(graceMs: number, closed?: () => void): Promise<void> {
    this.#stopping = true;
    this.#spare.stop();
    const all = this.live();
    const closing = all.map((h) => new Promise<void>((done) => h.waiting.set(-2, done)));
    const stopped = all.map((h) => new Promise<void>((done) => {
      h.waiting.set(-1, done);
      h.post({ t: "stop", graceMs });
    }));
    if (closed) void within(closing, 1_000).then(closed);
    await within(stopped, graceMs + 2_000);
    for (const h of all) h.terminate();
  }

  #handle(id: number): WorkerHandle {
    return new WorkerHandle(id, (w, m) => this.#onMessage(w, m), (w, exit) => this.#onExit(w, exit));
  }

  #spawn(id: number, replacing?: number): void {
    const h = this.#spare.take(id) ?? this.#handle(id);
    this.handles[id] = h;
    h.replacing = replacing;
    h.post({ t: "init", id, workers: this.opts.count, share: this.opts.share, rates: this.opts.rates, inherited: this.opts.inherited?.(id) ?? {}, faults: this.opts.faults });
    if (this.#published) {
      h.post({ t: "config", seq: ++this.#seq, delta: this.#feed.full(), slots: Object.fromEntries(this.#slots), ports: this.#pins.ports() });
      const verdicts = this.#relay?.verdicts() ?? [];
      h.post({ t: "flips", seq: this.#relay?.seq ?? 0, flips: verdicts });
    }
  }

  async #publish(snap: Snapshot, doc: ConfigDoc, resources: RevisionSource | undefined): Promise<void> {
    this.#published = true;
    const { json: delta, changedPools, removedPools } = this.#feed.next(doc, snap.revision, (pools) => foundIn(snap, pools), resources);
    const slots: Record<string, number> = {};
    for (const [name, slot] of planSlots(this.opts.book, snap, changedPools, removedPools)) {
      if (this.#slots.get(name) === slot) continue;
      this.#slots.set(name, slot);
      slots[name] = slot;
    }
    const unpinned = this.#pins.reconcile(snap);
    this.#relay?.apply(snap, changedPools, removedPools);
    const live = this.live();
    const seq = ++this.#seq;
    if (unpinned.length === 0 || live.length < 2) {
      for (const h of live) h.post({ t: "config", seq, delta, slots, ports: this.#pins.ports() });
      return;
    }
    // A new port-0 listener: the first worker picks the port, the others bind the same one.
    const [leader, ...rest] = live;
    for (const h of rest) h.hold();
    leader!.post({ t: "config", seq, delta, slots, ports: this.#pins.ports() });
    await this.#until(() => !leader!.alive || leader!.appliedSeq >= seq);
    for (const h of rest) h.release({ t: "config", seq, delta, slots, ports: this.#pins.ports() });
  }

  #onMessage(h: WorkerHandle, m: FromWorker): void {
    switch (m.t) {
      case "applied":
        h.handout.acked = performance.timeOrigin + performance.now();
        h.handout.at = m.at;
        h.appliedSeq = m.seq;
        h.appliedRevision = m.revision;
        h.errors = m.errors;
        if (h.replacing !== undefined) {
          const ms = Date.now() - h.replacing;
          h.replacing = undefined;
          this.opts.log(`worker ${h.id} serving again, ${ms} ms after its predecessor died`, "info", { worker: h.id, restart_ms: ms });
        }
        this.#pins.learn(m.ports);
        this.#checkApplied();
        return;
      case "healthAck":
        h.healthAck = m.seq;
        this.#relay?.acked(Math.min(...this.live().map((x) => x.healthAck)));
        return;
      case "stats":
        h.absorb(m.stats);
        h.waiting.get(m.seq)?.();
        return;
      case "fds":
        h.sockets = m.listeners;
        h.waiting.get(m.seq)?.();
        return;
      case "reopened":
        h.reopened = m.files;
        h.waiting.get(m.seq)?.();
        return;
      case "closed":
        h.waiting.get(-2)?.();
        return;
      case "stopped":
        h.waiting.get(-1)?.();
        return;
      case "log":
        if (this.#echo.repeated(m.line)) return;
        return this.opts.log(m.line, m.level, { ...m.fields, worker: h.id });
      default:
        return;
    }
  }

  #onExit(h: WorkerHandle, exit: WorkerExit): void {
    if (this.#spare.died(h, exit)) return;
    if (h.id < 0 || this.handles[h.id] !== h) return;
    this.opts.reclaim(h.id);
    this.opts.onDeath?.(h);
    this.handles[h.id] = undefined;
    this.#checkApplied();
    if (this.#stopping) return;
    this.restarts[h.id]!++;
    const wait = this.#policy.delay(h);
    const why = `exit code ${exit.code}${exit.error ? `: ${exit.error}` : ""}`;
    this.opts.log(`worker ${h.id} died (${why}); restarting${wait > 0 ? ` in ${wait} ms` : ""}`, "error", { worker: h.id, exit_code: exit.code, error: exit.error, restarts: this.restarts[h.id] });
    const died = Date.now();
    setTimeout(() => {
      if (this.#stopping) return;
      this.#chain = this.#chain.then(() => this.#spawn(h.id, died));
    }, wait);
  }

  #checkApplied(): void {
    const rev = this.appliedRevision();
    for (let i = this.#appliedWaiters.length - 1; i >= 0; i--) {
      const w = this.#appliedWaiters[i]!;
      if (rev >= w.revision || this.#stopping) {
        this.#appliedWaiters.splice(i, 1);
        w.done();
      }
    }
  }

  async #until(cond: () => boolean): Promise<void> {
    while (!cond()) await Bun.sleep(1);
  }
}
