/**
 * Which of a pool's backends get new work, and with what weight: the step between health and
 * the selector (selection ignores health, STYLE.md §7.4). Health filtering, panic mode and slow
 * start live here, outside every selector, so each algorithm stays one small thing.
 */

/** A backend as the pool declares it, plus what health and outlier detection say right now. */
export interface BackendLiveState {
  readonly key: string;
  readonly weight: number;
  readonly state: "active" | "draining" | "disabled";
  /** Active check verdict (true when the pool has no active check). */
  readonly healthy: boolean;
  /** Ejected by outlier detection. */
  readonly ejected: boolean;
  /** When it last became healthy (ms), for slow start; undefined = healthy since the start. */
  readonly healthySinceMs?: number;
}

export interface UsableOptions {
  /** Panic below this share of healthy backends (0..100; 0 turns panic off). Envoy's default is 50. */
  readonly panicThresholdPercent: number;
  /** Slow-start window in ms (0 = off): a returning backend ramps to its full weight over it. */
  readonly slowStartMs: number;
  /** Weight share a returning backend starts from (0..1, Envoy's min_weight_percent is 10%). */
  readonly slowStartMinShare: number;
}

export interface UsableSet {
  /** Backends for the selector, in pool order, with effective weights (at least 1 when > 0 declared). */
  readonly backends: { key: string; weight: number }[];
  /** True when the pool is in panic: too few healthy backends, so all active ones take traffic. */
  readonly panic: boolean;
  /** True while some backend is still ramping: the caller rebuilds the selector again soon. */
  readonly ramping: boolean;
}

/** Effective weight during slow start: linear from `minShare` to full over the window. */
export function slowStartWeight(weight: number, sinceMs: number | undefined, nowMs: number, opts: UsableOptions): number {
  if (opts.slowStartMs <= 0 || sinceMs === undefined || weight === 0) return weight;
  const elapsed = nowMs - sinceMs;
  if (elapsed >= opts.slowStartMs) return weight;
  const share = opts.slowStartMinShare + (1 - opts.slowStartMinShare) * Math.max(0, elapsed / opts.slowStartMs);
  return Math.max(1, Math.round(weight * share));
}

/**
 * Computes the usable set. Draining and disabled backends never get new work, panic or not
 * (an operator's decision outranks the health view); in panic, unhealthy and ejected active
 * backends come back in at full weight rather than overload the few healthy ones.
 */
export function computeUsable(backends: readonly BackendLiveState[], nowMs: number, opts: UsableOptions): UsableSet {
  const active = backends.filter((b) => b.state === "active" && b.weight > 0);
  const healthy = active.filter((b) => b.healthy && !b.ejected);
  const panic = opts.panicThresholdPercent > 0 && active.length > 0 && healthy.length * 100 < active.length * opts.panicThresholdPercent;
  if (panic) return { backends: active.map((b) => ({ key: b.key, weight: b.weight })), panic: true, ramping: false };
  const scale = rampScale(healthy, nowMs, opts);
  let ramping = false;
  const out = healthy.map((b) => {
    const full = b.weight * scale;
    const weight = slowStartWeight(full, b.healthySinceMs, nowMs, opts);
    if (weight !== full) ramping = true;
    return { key: b.key, weight };
  });
  return { backends: out, panic: false, ramping };
}

/** Largest factor the set's weights are scaled by while a backend ramps. */
const MAX_RAMP_SCALE = 100;

/**
 * A weight too small to take the minimum share (1 × 10% rounds back to 1, its full weight) would
 * not ramp at all: while such a backend ramps, every weight of the set is scaled up alike, so the
 * proportions stay and the ramp gets its steps. 1 when no ramping backend needs it.
 */
function rampScale(healthy: readonly BackendLiveState[], nowMs: number, opts: UsableOptions): number {
  if (opts.slowStartMs <= 0 || opts.slowStartMinShare <= 0) return 1;
  let scale = 1;
  for (const b of healthy) {
    if (b.healthySinceMs === undefined || b.weight === 0 || nowMs - b.healthySinceMs >= opts.slowStartMs) continue;
    scale = Math.max(scale, Math.ceil(1 / (b.weight * opts.slowStartMinShare) - 1e-9));
  }
  return Math.min(scale, MAX_RAMP_SCALE);
}
