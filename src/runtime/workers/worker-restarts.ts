/**
 * Control part: how a dead worker comes back. One spare worker is kept started and idle (its
 * modules loaded, no config, no sockets): a worker that dies is replaced by it, which then only
 * compiles the config and binds, well within a second even on a busy machine; a new spare is
 * started after. A worker is restarted at once, backing off only while it keeps dying within a
 * second of starting.
 */
import type { EventLog } from "../../obs/index.ts";
import type { WorkerExit, WorkerHandle } from "./worker-handle.ts";

/** How soon a worker that died is started again, and how that grows while it keeps dying young. */
const RESTART_MS = 0;
const MAX_BACKOFF_MS = 5_000;
const YOUNG_MS = 1_000;

export class RestartPolicy {
  readonly #backoff: number[];

  constructor(count: number) {
    this.#backoff = new Array(count).fill(0);
  }

  /** Milliseconds before worker `h` (just dead) is started again. */
  delay(h: WorkerHandle): number {
    const young = Date.now() - h.startedAt < YOUNG_MS;
    const wait = young ? Math.min(MAX_BACKOFF_MS, Math.max(100, this.#backoff[h.id]! * 2)) : RESTART_MS;
    this.#backoff[h.id] = young ? wait : 0;
    return wait;
  }
}

export class Spare {
  #spare: WorkerHandle | undefined;
  #stopped = false;

  /** `make` starts a fresh idle worker (index -1). */
  constructor(private readonly make: () => WorkerHandle, private readonly log: EventLog) {}

  /** Starts a spare unless one is running (or the node stops). */
  start(): void {
    if (this.#stopped || this.#spare?.alive) return;
    this.#spare = this.make();
  }

  /** The running spare, given up to take worker `id`'s place (a new spare starts soon after); undefined when none runs. */
  take(id: number): WorkerHandle | undefined {
    const h = this.#spare;
    if (!h?.alive) return undefined;
    this.#spare = undefined;
    h.id = id;
    h.startedAt = Date.now();
    setTimeout(() => this.start(), 0);
    return h;
  }

  /** True when `h` was the spare (it died idle: another is started, after a pause). */
  died(h: WorkerHandle, exit: WorkerExit): boolean {
    if (h !== this.#spare) return false;
    this.#spare = undefined;
    this.log(`the spare worker died (exit code ${exit.code}${exit.error ? `: ${exit.error}` : ""}); starting another`, "warn");
    setTimeout(() => this.start(), MAX_BACKOFF_MS);
    return true;
  }

  /** No spare any more: the running one is ended (quietly: it is no death). */
  stop(): void {
    this.#stopped = true;
    const h = this.#spare;
    this.#spare = undefined;
    h?.terminate();
  }
}
