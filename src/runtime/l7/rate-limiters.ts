/**
 * The token buckets of every listener and route that sets `rate_limit`, kept by name across config
 * changes (a new revision with the same limit keeps the buckets; a changed limit starts afresh).
 * With a shared table (a node of several workers) the buckets are the node's (shared-rate-limiter.ts).
 */
import type { SnapshotListener, SnapshotRateLimit, SnapshotRoute } from "../../config/index.ts";
import type { ProxyReply } from "../../l7/index.ts";
import { RateLimiter, type ClientLimiter } from "../../limits/index.ts";
import type { KeyTable } from "../shared/index.ts";
import { SharedRateLimiter } from "./shared-rate-limiter.ts";

export class RateLimiters {
  readonly #limiters = new Map<string, { spec: SnapshotRateLimit; limiter: ClientLimiter }>();

  /** `table`: the node's shared buckets (several workers); absent, each limit keeps its own. */
  constructor(private readonly table?: KeyTable) {}

  #get(key: string, spec: SnapshotRateLimit): ClientLimiter {
    const found = this.#limiters.get(key);
    if (found && found.spec.rps === spec.rps && found.spec.burst === spec.burst) return found.limiter;
    const rate = { rate: spec.rps, burst: spec.burst };
    const limiter = this.table ? new SharedRateLimiter(this.table, key, rate) : new RateLimiter(rate);
    this.#limiters.set(key, { spec, limiter });
    return limiter;
  }

  /** A 429 reply when `client` is over the listener's or the route's limit; null when allowed. */
  check(l: SnapshotListener, route: SnapshotRoute | undefined, client: string): ProxyReply | null {
    const now = Date.now();
    if (l.rateLimit) {
      const v = this.#get(l.name, l.rateLimit).take(client, now);
      if (!v.allowed) return tooMany(v.retryAfterS);
    }
    if (route?.rateLimit) {
      const v = this.#get(routeKey(l, route), route.rateLimit).take(client, now);
      if (!v.allowed) return tooMany(v.retryAfterS);
    }
    return null;
  }

  /** Requests denied so far, by listener or "listener/route". */
  denied(): [string, number][] {
    return [...this.#limiters].map(([k, v]) => [k, v.limiter.denied]);
  }
}

/** "listener/route", made once per route object (a fresh string per request would be hashed afresh by every lookup). */
const routeKeys = new WeakMap<SnapshotRoute, string>();
function routeKey(l: SnapshotListener, route: SnapshotRoute): string {
  let k = routeKeys.get(route);
  if (k === undefined) routeKeys.set(route, (k = `${l.name}/${route.name}`));
  return k;
}

function tooMany(retryAfterS: number): ProxyReply {
  return { status: 429, errorCode: "RATE_LIMITED", fields: { "retry-after": String(retryAfterS) }, body: "too many requests\n" };
}
