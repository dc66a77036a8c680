/**
 * Sends spans to one OTLP/HTTP endpoint in JSON, in batches, off the request path: a request only
 * appends its record to a bounded queue. A batch leaves every FLUSH_MS or as soon as MAX_BATCH
 * spans wait, one POST at a time, each bounded by EXPORT_TIMEOUT_MS. When the collector is slow
 * the queue fills and further spans are dropped; when it refuses (connection refused, non-2xx,
 * timeout) the batch is dropped: both counted, and logged at most once a minute. Nothing is
 * retried, so memory stays bounded by MAX_QUEUE records whatever the collector does.
 */
import type { EventLog } from "../obs/index.ts";
import { encodeTraces, type ExportOrigin } from "./otlp-json.ts";
import type { SpanRecord } from "./span.ts";

/** Spans waiting at most (about 1 MiB of records); beyond it new ones are dropped. */
export const MAX_QUEUE = 2048;
/** Spans per POST. */
export const MAX_BATCH = 512;
/** A batch leaves at least this often while spans wait. */
export const FLUSH_MS = 1000;
/** One POST may take this long before it counts as failed. */
export const EXPORT_TIMEOUT_MS = 5000;
const RELOG_MS = 60_000;

/** Why spans were not delivered (the `reason` label). */
export type DropReason = "queue_full" | "export_failed" | "rejected";

/** Running totals (metrics read them at scrape time). */
export interface ExporterCounts {
  exported: number;
  dropped: Record<DropReason, number>;
  failedExports: number;
}

export class SpanExporter {
  readonly counts: ExporterCounts = { exported: 0, dropped: { queue_full: 0, export_failed: 0, rejected: 0 }, failedExports: 0 };
  #queue: SpanRecord[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inflight: Promise<void> | undefined;
  #lastLog = 0;
  #stopped = false;

  readonly #timeoutMs: number;

  constructor(readonly endpoint: string, private readonly origin: ExportOrigin, private readonly log: EventLog, opts: { timeoutMs?: number } = {}) {
    this.#timeoutMs = opts.timeoutMs ?? EXPORT_TIMEOUT_MS;
  }

  /** Spans waiting to be sent. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Takes one finished span (request path: an append and, at most, arming one timer). */
  record(span: SpanRecord): void {
    if (this.#stopped) return;
    if (this.#queue.length >= MAX_QUEUE) {
      this.counts.dropped.queue_full++;
      this.#warn(`tracing: ${MAX_QUEUE} spans wait for ${this.endpoint}; dropping new ones (${this.counts.dropped.queue_full} so far)`);
      return;
    }
    this.#queue.push(span);
    if (this.#queue.length >= MAX_BATCH && this.#inflight === undefined) this.#arm(0);
    else if (this.#timer === undefined) this.#arm(FLUSH_MS);
  }

  /** Sends what waits (one last batch, bounded by the export timeout) and stops taking spans. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inflight;
    if (this.#queue.length > 0) await this.#send(this.#queue.splice(0, MAX_BATCH));
    this.#stopped = true;
    this.#queue = [];
  }

  #arm(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, ms);
    this.#timer.unref?.();
  }

  #flush(): void {
    if (this.#inflight !== undefined || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, MAX_BATCH);
    this.#inflight = this.#send(batch).finally(() => {
      this.#inflight = undefined;
      if (this.#queue.length >= MAX_BATCH) this.#arm(0);
      else if (this.#queue.length > 0) this.#arm(FLUSH_MS);
    });
  }

  async #send(batch: SpanRecord[]): Promise<void> {
    try {
      const res = await fetch(this.endpoint, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: encodeTraces(batch, this.origin),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      const text = await res.text();
      if (!res.ok) return this.#failed(batch.length, `${this.endpoint} answered ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
      const rejected = rejectedOf(text);
      this.counts.exported += batch.length - rejected;
      if (rejected > 0) {
        this.counts.dropped.rejected += rejected;
        this.#warn(`tracing: ${this.endpoint} rejected ${rejected} of ${batch.length} spans`);
      }
    } catch (e) {
      const err = e as Error;
      this.#failed(batch.length, `${this.endpoint}: ${err.name === "TimeoutError" ? `no answer within ${this.#timeoutMs} ms` : err.message}`);
    }
  }

  #failed(spans: number, why: string): void {
    this.counts.failedExports++;
    this.counts.dropped.export_failed += spans;
    this.#warn(`tracing: export of ${spans} spans failed, dropped (${this.counts.failedExports} failed exports so far): ${why}`);
  }

  #warn(line: string): void {
    const now = Date.now();
    if (now - this.#lastLog < RELOG_MS) return;
    this.#lastLog = now;
    this.log(line, "warn", { endpoint: this.endpoint });
  }
}

/** partialSuccess.rejectedSpans of an ExportTraceServiceResponse (an int64: a string or a number); 0 when absent. */
function rejectedOf(body: string): number {
  if (body === "") return 0;
  try {
    const n = Number((JSON.parse(body) as { partialSuccess?: { rejectedSpans?: unknown } }).partialSuccess?.rejectedSpans ?? 0);
    return Number.isFinite(n) && n > 0 ? n : 0;
  } catch {
    // A 2xx with a body that is not JSON (a protobuf answer, a proxy's page): the spans were taken.
    return 0;
  }
}
