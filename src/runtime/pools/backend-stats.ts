/**
 * Live counters of one backend of one pool. One object per (pool, address) lives as long as the
 * backend stays in the config, across selector rebuilds, so counts never reset on a health flip.
 *
 * The TrafficStats part has the listener/route/pool meaning per attempt: every L7 attempt sent to
 * the backend is recorded once when it ends (by the status it answered, or the status its failure
 * maps to, 502/504), `retries` counts the attempts that reached it as a retry, and `active` is the
 * live load. `bytesIn`/`bytesOut` are client-side bytes (from / to the client) of L7 requests it
 * served last and of L4 connections (the L4 listener adds them on close).
 */
import { TrafficStats } from "../stats/traffic-stats.ts";

export class BackendStats extends TrafficStats {
  /** Requests (L7 attempts) or connections (L4) sent to it. */
  total = 0;
  /** Connect failures, resets and timeouts. */
  failures = 0;
  responses5xx = 0;
  /** When it last turned healthy (ms since epoch), for slow start; undefined = from the start. */
  healthySinceMs: number | undefined;
  /** Its Prometheus upstream latency histogram recorder, bound on first use (l7-deps.ts); the history counts go through stats/request-end.ts. */
  latency: ((seconds: number) => void) | undefined;

  constructor(
    readonly pool: string,
    readonly address: string,
  ) {
    super();
  }
}
