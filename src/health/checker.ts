import { failureReason } from "./failure-reason.ts";
import { Health } from "./health.ts";
import { grpcCheck, h2HttpCheck } from "./h2-check.ts";
import { httpCheck } from "./http-check.ts";
import { tcpCheck } from "./tcp-check.ts";
import type { CheckSpec, CheckTarget, HealthCheck } from "./types.ts";

/**
 * Called when a backend's health flips; main.ts injects it to rebuild snapshots (STYLE.md §7.6).
 * `reason` says why: the last failure (`timeout after 1000 ms`, `status 503`, `connection
 * refused`), or for a return to health how many checks passed.
 */
export type OnFlip = (pool: string, backend: string, healthy: boolean, reason: string | undefined) => void;

/** One backend's runtime health as the admin status view shows it. */
export interface BackendHealthView {
  pool: string;
  backend: string;
  healthy: boolean;
  lastError?: string;
  checks: number;
}

interface Probe {
  target: CheckTarget;
  health: Health;
  timer: ReturnType<typeof setTimeout> | undefined;
  inflight: AbortController | undefined;
  checks: number;
}

interface PoolProbes {
  specKey: string;
  spec: CheckSpec;
  check: HealthCheck;
  probes: Map<string, Probe>;
}

/** Probe timers share a grid of this many ms (see #schedule). */
const TICK_MS = 20;

/** Splits "host:port" / "[v6]:port" into a check target. */
export function checkTarget(key: string): CheckTarget {
  const i = key.lastIndexOf(":");
  const host = key.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  return { key, host, port: Number(key.slice(i + 1)) };
}

function buildCheck(spec: CheckSpec): HealthCheck {
  if (spec.type === "grpc") return grpcCheck(spec);
  if (spec.type === "http") return spec.protocol === undefined ? httpCheck(spec) : h2HttpCheck(spec);
  if (spec.type === "tls") return tcpCheck({ tls: { serverName: spec.serverName } });
  return tcpCheck({ send: spec.send, expect: spec.expect });
}

/**
 * Runs active checks for every pool that has one, each backend on its own timer (first probe at a
 * random point of the interval, so 1,000 backends don't fire at once), entirely on timers and
 * promises: nothing here ever blocks the data plane. Reconciled by `setPool` on every config change;
 * a backend whose pool and spec didn't change keeps its state.
 */
export class HealthChecker {
  readonly #pools = new Map<string, PoolProbes>();
  #stopped = false;

  /** `onPass` hears every passing probe (outlier detection returns an ejected backend on one). */
  constructor(
    private readonly onFlip: OnFlip,
    private readonly onPass?: (pool: string, backend: string) => void,
  ) {}

  /** Starts, updates or (with `spec` undefined) stops checking a pool's backends. */
  setPool(pool: string, spec: CheckSpec | undefined, backends: readonly string[]): void {
    const specKey = JSON.stringify(spec ?? null);
    let entry = this.#pools.get(pool);
    let known: Map<string, boolean> | undefined;
    if (entry && (spec === undefined || entry.specKey !== specKey)) {
      // A changed check keeps what is known: a backend found dead stays out until the new check passes it.
      known = new Map([...entry.probes].map(([k, p]) => [k, p.health.healthy] as const));
      this.removePool(pool);
      entry = undefined;
    }
    if (spec === undefined || this.#stopped) return;
    if (!entry) {
      entry = { specKey, spec, check: buildCheck(spec), probes: new Map() };
      this.#pools.set(pool, entry);
    }
    const wanted = new Set(backends);
    for (const [key, probe] of entry.probes) {
      if (!wanted.has(key)) this.#stopProbe(entry, key, probe);
    }
    for (const key of wanted) {
      if (entry.probes.has(key)) continue;
      const probe: Probe = {
        target: checkTarget(key),
        health: new Health(spec.healthyThreshold, spec.unhealthyThreshold, known?.get(key) ?? spec.initial === "optimistic"),
        timer: undefined,
        inflight: undefined,
        checks: 0,
      };
      entry.probes.set(key, probe);
      this.#schedule(pool, entry, probe, Math.random() * Math.min(spec.intervalMs, 1000));
    }
  }

  /** Stops checking a pool and forgets its backends' state. */
  removePool(pool: string): void {
    const entry = this.#pools.get(pool);
    if (!entry) return;
    for (const [key, probe] of entry.probes) this.#stopProbe(entry, key, probe);
    this.#pools.delete(pool);
  }

  /** The checked health of a backend, or undefined when its pool has no active check. */
  healthy(pool: string, backend: string): boolean | undefined {
    return this.#pools.get(pool)?.probes.get(backend)?.health.healthy;
  }

  /** Every checked backend's state, for /v1/status. */
  view(): BackendHealthView[] {
    const out: BackendHealthView[] = [];
    for (const [pool, entry] of this.#pools) {
      for (const [backend, p] of entry.probes) {
        out.push({ pool, backend, healthy: p.health.healthy, lastError: p.health.lastError, checks: p.checks });
      }
    }
    return out;
  }

  /** Stops every timer and in-flight probe. */
  stop(): void {
    this.#stopped = true;
    for (const pool of [...this.#pools.keys()]) this.removePool(pool);
  }

  #stopProbe(entry: PoolProbes, key: string, probe: Probe): void {
    clearTimeout(probe.timer);
    probe.inflight?.abort();
    // Kept probe connections (http reuse) close with the probe: no fd outlives its backend.
    entry.check.release?.(probe.target);
    entry.probes.delete(key);
  }

  #schedule(pool: string, entry: PoolProbes, probe: Probe, delayMs: number): void {
    // Due times are rounded up to a shared grid so one event-loop wake-up starts every probe due
    // in it (1,000 backends: ~50 wake-ups a second, not 1,000): measured, that halves the checks'
    // CPU. The grid is at most 5% of the interval: within the default jitter (±5%).
    const tick = Math.min(TICK_MS, entry.spec.intervalMs / 20);
    const now = Date.now();
    probe.timer = setTimeout(() => void this.#run(pool, entry, probe), Math.ceil((now + delayMs) / tick) * tick - now);
  }

  async #run(pool: string, entry: PoolProbes, probe: Probe): Promise<void> {
    const ctl = new AbortController();
    probe.inflight = ctl;
    const timeout = setTimeout(() => ctl.abort(), entry.spec.timeoutMs);
    let error: string | undefined;
    try {
      await entry.check.check(probe.target, ctl.signal);
    } catch (err) {
      error = failureReason(err, probe.target.key, ctl.signal.aborted, entry.spec.timeoutMs);
    } finally {
      clearTimeout(timeout);
    }
    // The probe may have been removed (config change) while it ran: drop its result.
    if (entry.probes.get(probe.target.key) !== probe) return;
    probe.inflight = undefined;
    probe.checks++;
    if (probe.health.observe(error === undefined, error)) {
      const reason = error ?? `${entry.spec.healthyThreshold} checks passed in a row`;
      this.onFlip(pool, probe.target.key, probe.health.healthy, reason);
    }
    if (error === undefined) this.onPass?.(pool, probe.target.key);
    const base = probe.health.healthy ? entry.spec.intervalMs : entry.spec.unhealthyIntervalMs;
    // Symmetric jitter keeps the mean interval, so detection-time bounds still hold on average.
    this.#schedule(pool, entry, probe, base * (1 + (Math.random() - 0.5) * entry.spec.jitter));
  }
}
