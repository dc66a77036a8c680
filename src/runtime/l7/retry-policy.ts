/**
 * When a failed attempt may be retried (route `retries`): attempts left, an idempotent method
 * (unless the route allows others), a failure kind the route lists, and room in the pool's retry
 * budget: retries in flight stay under 20% of the pool's active requests, with a floor of 3
 * (Envoy's retry budget), so retries can never multiply an outage.
 */
import type { SnapshotRoute } from "../../config/index.ts";
import type { LbError } from "../../errors.ts";
import { slotNames, type NodeShare } from "../shared/node-share.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]);
const BUDGET_SHARE = 0.2;
const BUDGET_MIN = 3;

/** The failure kind a route's `retries.on` names for `err`. */
export function failureKind(err: LbError): string {
  if (err.code === "UPSTREAM_CONNECT_FAILED") return "connect_failure";
  if (err.code === "UPSTREAM_TIMEOUT") return "timeout";
  // UPSTREAM_REFUSED (an HTTP/2 stream the backend never processed) counts as a reset
  return "reset";
}

/** Retries in flight per pool: the node's, when `node` shares them between workers. */
export class RetryBudget {
  readonly #active = new Map<string, number>();

  constructor(private readonly node?: NodeShare) {}

  /** Takes a unit if the pool (with `activeRequests` in flight) has room. */
  tryAcquire(pool: string, activeRequests: number): boolean {
    const cap = Math.max(BUDGET_MIN, Math.floor(activeRequests * BUDGET_SHARE));
    const slot = this.node ? this.node.slot(slotNames.retries(pool)) : -1;
    if (slot >= 0) return this.node!.counters.tryAcquire(slot, cap);
    const n = this.#active.get(pool) ?? 0;
    if (n >= cap) return false;
    this.#active.set(pool, n + 1);
    return true;
  }

  release(pool: string): void {
    const slot = this.node ? this.node.slot(slotNames.retries(pool)) : -1;
    if (slot >= 0) {
      this.node!.counters.release(slot);
      return;
    }
    const n = this.#active.get(pool) ?? 0;
    if (n > 1) this.#active.set(pool, n - 1);
    else this.#active.delete(pool);
  }
}

/**
 * Request body bytes kept for a retry (Envoy buffers up to its per-request limit the same way):
 * a body up to this size can be sent again to another backend; a larger one is never retried.
 */
export const REPLAY_BODY_BYTES = 64 * 1024;

/** True when `method` on `route` may ever be retried (so its body is worth keeping). */
export function mayEverRetry(route: SnapshotRoute | undefined, method: string): boolean {
  return route !== undefined && route.retries.attempts > 0 && (route.retries.nonIdempotent || IDEMPOTENT.has(method));
}

/** True when the route lets attempt `attempt` (1-based) of `method` retry after `trigger`. */
export function routeAllowsRetry(route: SnapshotRoute | undefined, method: string, attempt: number, trigger: string): boolean {
  if (!route || attempt > route.retries.attempts) return false;
  if (!route.retries.nonIdempotent && !IDEMPOTENT.has(method)) return false;
  const on = route.retries.on;
  if (on.includes(trigger)) return true;
  // "5xx" covers every 5xx status; a status trigger is its digits ("503").
  return trigger.length === 3 && trigger[0] === "5" && on.includes("5xx");
}
