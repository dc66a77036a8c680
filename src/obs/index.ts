/** @module Observability: the Prometheus metrics registry shared by the admin API and the data plane. */
export { Counter, Gauge, Histogram, Registry, DEFAULT_BUCKETS, PROMETHEUS_CONTENT_TYPE } from "./metrics.ts";
export type { Labels } from "./metrics.ts";
