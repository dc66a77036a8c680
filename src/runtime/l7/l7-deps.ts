/** What every L7 listener of a node shares: stats, retry budget, rate limiters, client limits, access logs, latency histograms. */
import type { SnapshotAccessLog, SnapshotHolder, SnapshotListener } from "../../config/index.ts";
import { AccessLog, LogSink, type EventLog, type Registry } from "../../obs/index.ts";
import { TraceExporters } from "../../tracing/index.ts";
import type { BackendStats } from "../pools/backend-stats.ts";
import type { L7HookDeps } from "./l7-hooks.ts";
import type { PoolRegistry } from "../pools/pool-registry.ts";
import { RateLimiters } from "./rate-limiters.ts";
import { AccessCounters } from "../stats/access-counters.ts";
import type { ClientLimits } from "../listeners/client-limits.ts";
import { RetryBudget } from "./retry-policy.ts";
import { newL7Stats } from "../stats/traffic-stats.ts";
import { latencyBucket, type LatencyCounts } from "../stats/latency.ts";
import type { KeyTable } from "../shared/index.ts";
import type { NodeShare } from "../shared/node-share.ts";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A pool's upstream latency series: its histogram's, bound, and its history buckets. */
interface PoolLatency {
  record: (seconds: number) => void;
  counts: LatencyCounts;
}

export type L7Deps = Omit<L7HookDeps, "name" | "counters"> & { flushLogs(): void };

/** `shared`: a worker's node-wide retry budget and rate-limit buckets (absent: this thread's own). */
export function newL7Deps(
  holder: SnapshotHolder,
  pools: PoolRegistry,
  metrics: Registry,
  limits: ClientLimits,
  log: EventLog = (line) => console.log(line),
  shared?: { node: NodeShare; rates: KeyTable },
): L7Deps {
  const sinks = new Map<string, LogSink>();
  // One AccessLog per access_log setting of a snapshot's listener (a lookup per logged request);
  // listeners that log to the same place share its sink, so their lines never interleave mid-line.
  const logs = new WeakMap<SnapshotAccessLog, AccessLog>();
  const histogram = metrics.histogram("fulcrum_pool_upstream_latency_seconds", "Time from request sent to response head, per pool", ["pool"], LATENCY_BUCKETS);
  const perBackend = metrics.histogram("fulcrum_backend_upstream_latency_seconds", "Time from request sent to response head, per backend", ["pool", "backend"], LATENCY_BUCKETS);
  const recorders = new Map<string, PoolLatency>();
  let lastPool: string | undefined;
  let lastRecorder: PoolLatency | undefined;
  const stats = newL7Stats();
  return {
    holder,
    pools,
    stats,
    budget: new RetryBudget(shared?.node),
    tracing: new TraceExporters(metrics, log),
    limiters: new RateLimiters(shared?.rates),
    limits,
    access: new AccessCounters(),
    accessLog(l: SnapshotListener) {
      const spec = l.accessLog;
      if (spec === undefined) return undefined;
      let access = logs.get(spec);
      if (!access) {
        let sink = sinks.get(spec.path);
        if (!sink) sinks.set(spec.path, (sink = new LogSink(spec.path)));
        access = new AccessLog(sink, spec.fields, spec.format);
        logs.set(spec, access);
      }
      return access;
    },
    upstreamLatency(pool: string, backend: BackendStats | undefined, seconds: number) {
      // Most requests in a row go to the pool the last one did: no lookup by name for them.
      let r = lastPool === pool ? lastRecorder! : recorders.get(pool);
      if (r === undefined) {
        r = { record: histogram.bind({ pool }), counts: stats.pools.get(pool).durations };
        recorders.set(pool, r);
      }
      lastPool = pool;
      lastRecorder = r;
      // one log2 for the pool's and the backend's history buckets
      const bucket = latencyBucket(seconds * 1000);
      r.record(seconds);
      r.counts.add(bucket);
      if (backend !== undefined) {
        // Bound once per BackendStats (its first response), then kept on it: no label lookup per request.
        (backend.latency ??= perBackend.bind({ pool: backend.pool, backend: backend.address }))(seconds);
        backend.durations.add(bucket);
      }
    },
    flushLogs() {
      for (const sink of sinks.values()) sink.flush();
    },
  };
}

