/**
 * Request counters per listener, route, pool and backend: plain numbers bumped once per request
 * (per attempt, for a backend) on the hot path, copied into Prometheus series at scrape time
 * (metrics.ts) and shown by /v1/status (trafficView).
 */
import type { TrafficCounters } from "../../status.ts";
import { LatencyCounts } from "./latency.ts";
import { newCompressStats, type CompressStats } from "./compress-stats.ts";

export class TrafficStats {
  /** Requests by status class: [no response, 1xx, 2xx, 3xx, 4xx, 5xx]. */
  readonly byClass = [0, 0, 0, 0, 0, 0];
  active = 0;
  bytesIn = 0;
  bytesOut = 0;
  retries = 0;
  /** Requests that ended with an x-fulcrum-error, by code (touched only when a request fails). */
  readonly errors = new Map<string, number>();
  /**
   * Latencies for the history's p50/p99: request head in to response head out for listeners and
   * routes, request sent to response head for pools and backends (as the upstream histograms).
   */
  readonly durations = new LatencyCounts();

  /** Counts one finished request. */
  record(status: number, bytesIn: number, bytesOut: number, retries: number, errorCode: string | undefined): void {
    this.count(statusClass(status), bytesIn, bytesOut, retries, errorCode);
  }

  /** As record, with the status already turned into its class (statusClass): once for every level a request counts at. */
  count(cls: number, bytesIn: number, bytesOut: number, retries: number, errorCode: string | undefined): void {
    this.byClass[cls]!++;
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
    this.retries += retries;
    if (errorCode !== undefined) this.errors.set(errorCode, (this.errors.get(errorCode) ?? 0) + 1);
  }
}

/** The index in TrafficStats.byClass of `status` (0 = no response or out of range). */
export function statusClass(status: number): number {
  return status >= 100 && status < 600 ? (status / 100) | 0 : 0;
}

/** Status class names, aligned with TrafficStats.byClass (label values and /v1/status keys). */
export const STATUS_CLASSES = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"] as const;

/** The stats objects of one kind, by name, created on first use. */
export class StatsBook {
  readonly #byName = new Map<string, TrafficStats>();

  get(name: string): TrafficStats {
    let s = this.#byName.get(name);
    if (!s) {
      s = new TrafficStats();
      this.#byName.set(name, s);
    }
    return s;
  }

  /** The stats of `name` if it has seen traffic; never creates (status reads). */
  peek(name: string): TrafficStats | undefined {
    return this.#byName.get(name);
  }

  entries(): IterableIterator<[string, TrafficStats]> {
    return this.#byName.entries();
  }
}

/** Every L7 counter of a node: by listener, by route ("listener/route") and by pool. */
export interface L7Stats {
  readonly listeners: StatsBook;
  readonly routes: StatsBook;
  readonly pools: StatsBook;
  /** Response compression, by listener and route. */
  readonly compress: CompressStats;
}

export function newL7Stats(): L7Stats {
  return { listeners: new StatsBook(), routes: new StatsBook(), pools: new StatsBook(), compress: newCompressStats() };
}

/** One TrafficStats as /v1/status shows it (the admin API's shape); zero counts are left out. */
export type TrafficView = TrafficCounters;

/** Copies `s` (undefined = no traffic yet: all zeros) into its /v1/status shape. Off the hot path. */
export function trafficView(s: TrafficStats | undefined): TrafficView {
  const byClass: Record<string, number> = {};
  let requests = 0;
  s?.byClass.forEach((v, i) => {
    requests += v;
    if (v > 0) byClass[STATUS_CLASSES[i]!] = v;
  });
  return {
    requests,
    by_class: byClass,
    active: s?.active ?? 0,
    bytes_in: s?.bytesIn ?? 0,
    bytes_out: s?.bytesOut ?? 0,
    retries: s?.retries ?? 0,
    errors: Object.fromEntries(s?.errors ?? []),
  };
}
