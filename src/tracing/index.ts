/** @module Distributed tracing: W3C Trace Context ids and parsing, span records, and their batched OTLP/HTTP JSON export. */
export { formatTraceparent, newSpanId, newTraceId, parseTraceparent, type ParentContext } from "./trace-context.ts";
export type { SpanRecord } from "./span.ts";
export { encodeTraces, nanos, type ExportOrigin } from "./otlp-json.ts";
export { EXPORT_TIMEOUT_MS, FLUSH_MS, MAX_BATCH, MAX_QUEUE, SpanExporter, type DropReason, type ExporterCounts } from "./exporter.ts";
export { TraceExporters } from "./exporters.ts";
