/**
 * Passive health (outlier detection, as Envoy has it): real traffic reports each backend's
 * outcomes; N consecutive 5xx or N consecutive gateway failures (refused, reset, timeout) eject
 * the backend for `baseEjectionMs × times ejected` (capped), never more than
 * `maxEjectionPercent` of a pool at once (but always at least one, so a lone bad backend of a
 * small pool can still go). A passing active check returns a backend early.
 */

/** What one proxied exchange told us about a backend. */
export type Outcome = "success" | "http_5xx" | "gateway_failure";

export interface OutlierSpec {
  readonly consecutive5xx: number;
  readonly consecutiveGatewayFailures: number;
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
}

/** The pool's outlier_detection section as the config document spells it. */
export interface OutlierConfig {
  consecutive_5xx?: number;
  consecutive_gateway_failures?: number;
  base_ejection_ms?: number;
  max_ejection_ms?: number;
  max_ejection_percent?: number;
}

/** Fills Envoy's defaults (5, 5, 30 s, 300 s, 10%). */
export function resolveOutlierSpec(c: OutlierConfig): OutlierSpec {
  return {
    consecutive5xx: c.consecutive_5xx ?? 5,
    consecutiveGatewayFailures: c.consecutive_gateway_failures ?? 5,
    baseEjectionMs: c.base_ejection_ms ?? 30_000,
    maxEjectionMs: c.max_ejection_ms ?? 300_000,
    maxEjectionPercent: c.max_ejection_percent ?? 10,
  };
}

interface Record {
  fiveXx: number;
  gateway: number;
  ejections: number;
  ejectedUntil: number;
}

/** Called on every ejection (ejected = true) and return (false), with why ("5 consecutive 5xx, for 30000 ms"). */
export type OnEject = (pool: string, backend: string, ejected: boolean, reason: string) => void;

/** Outlier state of one pool. `size` is the pool's backend count (for the ejection cap). */
export class OutlierDetector {
  readonly #records = new Map<string, Record>();
  #ejectedCount = 0;
  #totalEjections = 0;

  constructor(
    readonly pool: string,
    private readonly spec: OutlierSpec,
    private size: number,
    private readonly onEject: OnEject,
  ) {}

  /** Updates the pool size after a config change (backends outside it are forgotten by the caller). */
  resize(size: number): void {
    this.size = size;
  }

  /** Total ejections so far (for metrics). */
  get ejections(): number {
    return this.#totalEjections;
  }

  /** Times `backend` has been ejected so far. */
  ejectionsOf(backend: string): number {
    return this.#records.get(backend)?.ejections ?? 0;
  }

  /** Records one outcome at `nowMs`; may eject the backend. */
  report(backend: string, outcome: Outcome, nowMs: number): void {
    let r = this.#records.get(backend);
    if (!r) {
      if (outcome === "success") return;
      r = { fiveXx: 0, gateway: 0, ejections: 0, ejectedUntil: 0 };
      this.#records.set(backend, r);
    }
    if (outcome === "success") {
      r.fiveXx = 0;
      r.gateway = 0;
      return;
    }
    if (outcome === "http_5xx") r.fiveXx++;
    else r.gateway++;
    if (r.ejectedUntil > 0) return;
    if (r.fiveXx >= this.spec.consecutive5xx || r.gateway >= this.spec.consecutiveGatewayFailures) this.#eject(backend, r, nowMs);
  }

  /** True while the backend is ejected (expired ejections end here too). */
  isEjected(backend: string, nowMs: number): boolean {
    const r = this.#records.get(backend);
    if (!r || r.ejectedUntil === 0) return false;
    if (nowMs < r.ejectedUntil) return true;
    this.#return(backend, r, "ejection time over");
    return false;
  }

  /** Returns every backend whose ejection has run out; call from a timer. */
  sweep(nowMs: number): void {
    for (const [backend, r] of this.#records) {
      if (r.ejectedUntil !== 0 && nowMs >= r.ejectedUntil) this.#return(backend, r, "ejection time over");
    }
  }

  /** A passing active health check ends an ejection early. */
  activeCheckPassed(backend: string): void {
    const r = this.#records.get(backend);
    if (r && r.ejectedUntil !== 0) this.#return(backend, r, "an active check passed");
  }

  /** Backends ejected right now. */
  ejected(): string[] {
    return [...this.#records].filter(([, r]) => r.ejectedUntil !== 0).map(([b]) => b);
  }

  #eject(backend: string, r: Record, nowMs: number): void {
    const cap = Math.max(1, Math.floor((this.size * this.spec.maxEjectionPercent) / 100));
    if (this.#ejectedCount >= cap) return;
    r.ejections++;
    this.#ejectedCount++;
    this.#totalEjections++;
    const forMs = Math.min(this.spec.baseEjectionMs * r.ejections, this.spec.maxEjectionMs);
    r.ejectedUntil = nowMs + forMs;
    const why = r.fiveXx >= this.spec.consecutive5xx ? `${r.fiveXx} consecutive 5xx` : `${r.gateway} consecutive gateway failures`;
    this.onEject(this.pool, backend, true, `${why}, for ${forMs} ms`);
  }

  #return(backend: string, r: Record, reason: string): void {
    r.ejectedUntil = 0;
    r.fiveXx = 0;
    r.gateway = 0;
    this.#ejectedCount--;
    this.onEject(this.pool, backend, false, reason);
  }
}
