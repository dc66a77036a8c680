/** @module Observability: the Prometheus metrics registry shared by the admin API and the data plane, the event log, access logs. */
export { Counter } from "./counter.ts";
export { Gauge } from "./gauge.ts";
export { Histogram, DEFAULT_BUCKETS } from "./histogram.ts";
export { Registry, PROMETHEUS_CONTENT_TYPE } from "./registry.ts";
export type { Labels, FamilyDump, SeriesDump, MergeRule } from "./metric.ts";
export { mergeFamilies, countersOf, renderFamily } from "./registry-merge.ts";
export { AccessLog, type AccessLogEntry, type AccessLogFieldName, type AccessLogFormat } from "./access-log.ts";
export { LogSink } from "./log-sink.ts";
export { rateLimitedLog, type EventLog } from "./log-limiter.ts";
export { createLogger, formatLogLine, LOG_FORMATS, type Logger, type LogFields, type LogFormat, type LogLevel } from "./log.ts";
export { reopenLogFiles } from "./log-files.ts";
export { buildCommit, gitHead, registerBuildInfo } from "./build-info.ts";
export { registerProcessMetrics } from "./process-metrics.ts";
