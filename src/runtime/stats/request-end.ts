/**
 * One finished L7 request counted at every level it belongs to (listener, route, pool, backend) in
 * one step: its status class and its latency bucket are worked out once and then only added, where
 * a record() and an observe() per level would each divide the status and take a log2 again.
 */
import { latencyBucket } from "./latency.ts";
import { statusClass, type TrafficStats } from "./traffic-stats.ts";

/**
 * Counts a finished request at the listener, the route and the pool (each also loses it from
 * `active`) and at the backend that answered last (undefined when none was picked). `retries`
 * (attempts after the first) counts at the route and pool; the listener and backend count retries
 * as they happen. The listener and route count `ttfbMs` (request head in to response head out;
 * negative when no response head went out) into their latency buckets; the pool and backend have
 * the upstream latency in theirs (l7-deps.ts).
 */
export function recordRequestEnd(
  listener: TrafficStats, route: TrafficStats | undefined, pool: TrafficStats | undefined, backend: TrafficStats | undefined,
  status: number, bytesIn: number, bytesOut: number, retries: number, errorCode: string | undefined, ttfbMs: number,
): void {
  const cls = statusClass(status);
  const bucket = ttfbMs >= 0 ? latencyBucket(ttfbMs) : -1;
  listener.active--;
  listener.count(cls, bytesIn, bytesOut, 0, errorCode);
  if (bucket >= 0) listener.durations.add(bucket);
  if (route !== undefined) {
    route.active--;
    route.count(cls, bytesIn, bytesOut, retries, errorCode);
    if (bucket >= 0) route.durations.add(bucket);
  }
  if (pool !== undefined) {
    pool.active--;
    pool.count(cls, bytesIn, bytesOut, retries, errorCode);
  }
  if (backend !== undefined) backend.count(cls, bytesIn, bytesOut, 0, errorCode);
}
