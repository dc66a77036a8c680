/**
 * Control part: one worker thread as the control part sees it: the Bun Worker, what it has
 * applied and acknowledged, its last counters, and a backlog for the messages posted while it is
 * held (a two-phase config hand-out posts to the first worker alone first). A restarted worker is
 * a new handle with the same index.
 */
import type { FamilyDump } from "../../obs/index.ts";
import type { BackendDump, FromWorker, HandoutTimes, ToWorker, TrafficDump, WorkerStats } from "./protocol.ts";
import type { HandedListener } from "../handover/handoff.ts";

/**
 * The entry file of a worker. From source: beside this file. In a binary from `bun build --compile`
 * every module is bundled at the root of the embedded filesystem (`import.meta.dir` is
 * `/$bunfs/root`) and the entrypoints keep their paths under src/ (build/binary.ts lists them).
 */
export function workerEntry(): string {
  const compiled = import.meta.url.includes("/$bunfs/") || import.meta.url.includes("~BUN/");
  return compiled ? `${import.meta.dir}/runtime/workers/worker-main.ts` : new URL("./worker-main.ts", import.meta.url).href;
}

/** How a worker ended: its exit code and the uncaught error, if any, that ended it. */
export interface WorkerExit {
  code: number;
  error: string | undefined;
}

export class WorkerHandle {
  readonly worker: Worker;
  /** When it started serving as worker `id` (a spare: when it took the place). */
  startedAt = Date.now();
  alive = true;
  /** Config messages applied (seq) and the revision of the last. */
  appliedSeq = 0;
  appliedRevision = -1;
  /** Bind errors by listener name, as of the last config applied. */
  errors: Record<string, string> = {};
  /** The last config message's times: posted and acknowledged (control part), and the worker's own (HandoutTimes). */
  handout: { posted: number; acked: number; at: HandoutTimes | undefined } = { posted: 0, acked: 0, at: undefined };
  /** Health batches applied. */
  healthAck = 0;
  /** The worker's last report (its changed counters only: the whole is in `traffic` and `backends`). */
  stats: WorkerStats | undefined;
  /** Every counter the worker reported, as of its latest report of each. */
  readonly traffic = { listener: new Map<string, TrafficDump>(), route: new Map<string, TrafficDump>(), pool: new Map<string, TrafficDump>() };
  readonly backends = new Map<string, BackendDump>();
  /** When the worker this one replaces died (ms since epoch), until it serves. */
  replacing: number | undefined;
  /** The listening sockets the worker last reported (an upgrade's hand-over). */
  sockets: HandedListener[] = [];
  /** Access log files the worker last reopened. */
  reopened: string[] = [];
  metrics: FamilyDump[] | undefined;
  /** Stats requests waiting for their answer, by seq. */
  readonly waiting = new Map<number, () => void>();
  #held = false;
  #backlog: ToWorker[] = [];
  #error: string | undefined;

  constructor(
    /** Its worker index; a spare gets one when it takes a dead worker's place. */
    public id: number,
    onMessage: (h: WorkerHandle, m: FromWorker) => void,
    onExit: (h: WorkerHandle, exit: WorkerExit) => void,
  ) {
    this.worker = new Worker(workerEntry());
    this.worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(this, ev.data);
    this.worker.onerror = (ev) => {
      this.#error = ev.message;
    };
    this.worker.addEventListener("close", (ev) => {
      this.alive = false;
      for (const done of this.waiting.values()) done();
      this.waiting.clear();
      onExit(this, { code: (ev as unknown as { code?: number }).code ?? 0, error: this.#error });
    });
  }

  /** Takes in a report: changed counters replace what was known, gone names are forgotten. */
  absorb(s: WorkerStats): void {
    this.stats = s;
    if (s.metrics) this.metrics = s.metrics;
    for (const scope of ["listener", "route", "pool"] as const) {
      const known = this.traffic[scope];
      for (const name of s.gone[scope]) known.delete(name);
      for (const name in s.traffic[scope]) known.set(name, s.traffic[scope][name]!);
    }
    for (const key of s.gone.backend) this.backends.delete(key);
    for (const b of s.backends) this.backends.set(`${b.pool}\u0000${b.address}`, b);
  }

  /** Posts now, or after `release` while held. */
  post(m: ToWorker): void {
    if (!this.alive) return;
    if (this.#held) return void this.#backlog.push(m);
    if (m.t === "config") this.handout.posted = performance.timeOrigin + performance.now();
    this.worker.postMessage(m);
  }

  /** Keeps what is posted from now on until `release`. */
  hold(): void {
    this.#held = true;
  }

  /** Posts `first` (if any), then everything kept while held, in order. */
  release(first?: ToWorker): void {
    this.#held = false;
    if (first) this.post(first);
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const m of backlog) this.post(m);
  }

  terminate(): void {
    this.worker.terminate();
  }
}
