/**
 * `HealthChecker`'s interface with the probes on another thread: a real HealthChecker runs in a
 * Bun Worker (check-worker.ts) and this class mirrors its state from messages, so `healthy()`
 * still answers synchronously on the data plane while probe CPU lands on the other core.
 * The mirror follows the same reconcile rules as the in-thread checker (a new backend starts at
 * the spec's initial state; a spec change resets the pool), so behaviour matches it exactly.
 * If the Worker cannot start or dies, it falls back to an in-thread HealthChecker, once.
 */
import { type BackendHealthView, HealthChecker, type OnFlip } from "./checker.ts";
import type { FromWorker, ToWorker } from "./check-worker-protocol.ts";
import type { CheckSpec } from "./types.ts";

/** What PoolRegistry needs from an active checker; both checkers implement it. */
export type ActiveHealthChecker = Pick<HealthChecker, "setPool" | "removePool" | "healthy" | "view" | "stop">;

export interface WorkerCheckerOptions {
  /** Flip batching window in the worker (default 5 ms: adds at most that to detection time). */
  flipMs?: number;
  /** Passes are coalesced and sent this often (default 100 ms). */
  passMs?: number;
  /** The status view (checks, lastError) is refreshed this often (default 500 ms). */
  viewMs?: number;
  /** Told once if the checks had to fall back to the data-plane thread. */
  onFallback?(reason: string): void;
}

/**
 * The worker's entry file. From source: beside this file. In a binary from `bun build --compile`
 * (build/binary.ts lists it as an extra entrypoint) every module is bundled into one file at the
 * root of the embedded filesystem (`import.meta.dir` is `/$bunfs/root`), and the worker sits at its
 * path under the entrypoints' common folder, src/: a `new URL(..., import.meta.url)` would miss it.
 */
function workerEntry(): string {
  const compiled = import.meta.url.includes("/$bunfs/") || import.meta.url.includes("~BUN/");
  return compiled ? `${import.meta.dir}/health/check-worker.ts` : new URL("./check-worker.ts", import.meta.url).href;
}

interface Mirror {
  healthy: boolean;
  /** The command that created this incarnation: older results from the worker are not about it. */
  born: number;
  checks: number;
  lastError: string | undefined;
}

interface MirrorPool {
  specKey: string;
  spec: CheckSpec;
  backends: Map<string, Mirror>;
}

/** Drop-in for HealthChecker: same constructor arguments (plus options), same methods. */
export class WorkerHealthChecker implements ActiveHealthChecker {
  readonly #pools = new Map<string, MirrorPool>();
  #worker: Worker | undefined;
  #local: HealthChecker | undefined;
  #seq = 0;
  #stopped = false;

  constructor(
    private readonly onFlip: OnFlip,
    private readonly onPass?: (pool: string, backend: string) => void,
    private readonly opts: WorkerCheckerOptions = {},
  ) {
    try {
      const w = new Worker(workerEntry());
      w.onmessage = (ev: MessageEvent<FromWorker>) => this.#receive(ev.data);
      w.onerror = (ev) => this.#fallback(`health worker failed: ${ev.message}`);
      w.addEventListener("close", () => this.#fallback("health worker exited"));
      // Health checks alone must not keep a stopping process alive (the in-thread timers are
      // cleared by stop(); a forgotten worker would not be).
      w.unref();
      this.#worker = w;
      this.#post({ t: "init", flipMs: opts.flipMs ?? 5, passMs: opts.passMs ?? 100, viewMs: opts.viewMs ?? 500 });
    } catch (err) {
      this.#fallback(`health worker could not start: ${String(err)}`);
    }
  }

  /** True while the probes run in the Worker (false after a fallback). */
  get offThread(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts, updates or (with `spec` undefined) stops checking a pool's backends. */
  setPool(pool: string, spec: CheckSpec | undefined, backends: readonly string[]): void {
    if (this.#local) return this.#local.setPool(pool, spec, backends);
    const seq = ++this.#seq;
    const specKey = JSON.stringify(spec ?? null);
    let entry = this.#pools.get(pool);
    let known: Map<string, Mirror> | undefined;
    if (entry && (spec === undefined || entry.specKey !== specKey)) {
      // As the checker in the worker does: a changed check keeps each backend's known health.
      known = entry.backends;
      this.#pools.delete(pool);
      entry = undefined;
    }
    if (spec === undefined || this.#stopped) {
      this.#post({ t: "set", seq, pool, spec: undefined, backends: [] });
      return;
    }
    if (!entry) {
      entry = { specKey, spec, backends: new Map() };
      this.#pools.set(pool, entry);
    }
    const wanted = new Set(backends);
    for (const key of entry.backends.keys()) if (!wanted.has(key)) entry.backends.delete(key);
    for (const key of wanted) {
      if (entry.backends.has(key)) continue;
      const healthy = known?.get(key)?.healthy ?? spec.initial === "optimistic";
      entry.backends.set(key, { healthy, born: seq, checks: 0, lastError: undefined });
    }
    this.#post({ t: "set", seq, pool, spec, backends: [...wanted] });
  }

  /** Stops checking a pool and forgets its backends' state. */
  removePool(pool: string): void {
    if (this.#local) return this.#local.removePool(pool);
    this.#pools.delete(pool);
    this.#post({ t: "remove", seq: ++this.#seq, pool });
  }

  /** The checked health of a backend, or undefined when its pool has no active check. */
  healthy(pool: string, backend: string): boolean | undefined {
    if (this.#local) return this.#local.healthy(pool, backend);
    return this.#pools.get(pool)?.backends.get(backend)?.healthy;
  }

  /** Every checked backend's state, for /v1/status (checks and lastError lag by up to `viewMs`). */
  view(): BackendHealthView[] {
    if (this.#local) return this.#local.view();
    const out: BackendHealthView[] = [];
    for (const [pool, entry] of this.#pools) {
      for (const [backend, m] of entry.backends) out.push({ pool, backend, healthy: m.healthy, lastError: m.lastError, checks: m.checks });
    }
    return out;
  }

  /** Terminates the worker (or stops the in-thread fallback). */
  stop(): void {
    this.#stopped = true;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#local?.stop();
    this.#pools.clear();
  }

  #post(m: ToWorker): void {
    this.#worker?.postMessage(m);
  }

  #mirror(pool: string, backend: string, seq: number): Mirror | undefined {
    const m = this.#pools.get(pool)?.backends.get(backend);
    return m && seq >= m.born ? m : undefined;
  }

  #receive(msg: FromWorker): void {
    if (this.#stopped || this.#local) return;
    if (msg.t === "flips") {
      for (const [pool, backend, healthy, reason] of msg.flips) {
        const m = this.#mirror(pool, backend, msg.seq);
        if (!m || m.healthy === healthy) continue;
        m.healthy = healthy;
        m.lastError = healthy ? undefined : reason;
        this.onFlip(pool, backend, healthy, reason);
      }
    } else if (msg.t === "passes") {
      if (!this.onPass) return;
      for (const [pool, backends] of msg.passes) {
        for (const b of backends) if (this.#mirror(pool, b, msg.seq)) this.onPass(pool, b);
      }
    } else if (msg.t === "view") {
      for (const [pool, backend, checks, lastError] of msg.view) {
        const m = this.#mirror(pool, backend, msg.seq);
        if (m) {
          m.checks = checks;
          m.lastError = lastError;
        }
      }
    }
  }

  /** Moves the checks onto this thread, carrying the mirrored state over as flips where needed. */
  #fallback(reason: string): void {
    if (this.#stopped || this.#local) return;
    this.#worker?.terminate();
    this.#worker = undefined;
    this.opts.onFallback?.(reason);
    const local = new HealthChecker(this.onFlip, this.onPass);
    this.#local = local;
    for (const [pool, entry] of this.#pools) {
      local.setPool(pool, entry.spec, [...entry.backends.keys()]);
      // The fresh checker starts each backend at the initial state: tell the registry where that differs.
      for (const [backend, m] of entry.backends) {
        const now = local.healthy(pool, backend);
        if (now !== undefined && now !== m.healthy) this.onFlip(pool, backend, now, reason);
      }
    }
    this.#pools.clear();
  }
}
