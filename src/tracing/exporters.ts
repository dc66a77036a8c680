/**
 * The node's span exporters, one per OTLP endpoint and service name (listeners that name the same
 * pair share one), made when a listener first needs one, with their counters on /metrics.
 */
import { hostname } from "node:os";
import type { SnapshotTracing } from "../config/index.ts";
import type { EventLog, Registry } from "../obs/index.ts";
import pkg from "../../package.json" with { type: "json" };
import { SpanExporter, type DropReason } from "./exporter.ts";

export class TraceExporters {
  readonly #byKey = new Map<string, SpanExporter>();
  /** A snapshot's tracing object → its exporter (null: exports nothing), so a request builds no key. */
  readonly #byTracing = new WeakMap<SnapshotTracing, SpanExporter | null>();
  readonly #instanceId = `${hostname()}:${process.pid}`;

  constructor(metrics: Registry, private readonly log: EventLog) {
    metrics.counter("fulcrum_tracing_spans_exported_total", "Spans an OTLP endpoint accepted", ["endpoint"], (c) => {
      for (const e of this.#byKey.values()) c.set(e.counts.exported, { endpoint: e.endpoint });
    });
    metrics.counter("fulcrum_tracing_spans_dropped_total", "Spans not delivered, by reason (queue_full: the collector is slower than the traffic; export_failed: it refused or did not answer; rejected: it said so in partialSuccess)", ["endpoint", "reason"], (c) => {
      for (const e of this.#byKey.values()) for (const [reason, n] of Object.entries(e.counts.dropped)) c.set(n, { endpoint: e.endpoint, reason: reason as DropReason });
    });
    metrics.counter("fulcrum_tracing_export_failures_total", "OTLP export requests that failed (connection refused, timeout, non-2xx)", ["endpoint"], (c) => {
      for (const e of this.#byKey.values()) c.set(e.counts.failedExports, { endpoint: e.endpoint });
    });
    metrics.gauge("fulcrum_tracing_queued_spans", "Spans waiting to be exported", ["endpoint"], (g) => {
      for (const e of this.#byKey.values()) g.set(e.queued, { endpoint: e.endpoint });
    });
  }

  /** The exporter for a listener's or route's tracing; undefined when it exports nothing. Looked up per sampled request. */
  for(t: SnapshotTracing): SpanExporter | undefined {
    let e = this.#byTracing.get(t);
    if (e === undefined) this.#byTracing.set(t, (e = this.#make(t)));
    return e ?? undefined;
  }

  #make(t: SnapshotTracing): SpanExporter | null {
    const endpoint = t.otlpEndpoint;
    if (endpoint === undefined) return null;
    const key = `${t.serviceName} ${endpoint}`;
    let e = this.#byKey.get(key);
    if (!e) {
      e = new SpanExporter(endpoint, { serviceName: t.serviceName, serviceVersion: pkg.version, instanceId: this.#instanceId, hostName: hostname() }, this.log);
      this.#byKey.set(key, e);
    }
    return e;
  }

  /** Sends what waits and stops every exporter; a collector that does not answer holds the node's stop for at most `boundMs`. */
  async stop(boundMs = 2000): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)));
    await Promise.race([Promise.all([...this.#byKey.values()].map((e) => e.stop())), bound]);
    clearTimeout(timer);
  }
}
