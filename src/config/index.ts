/** @module The config model: schema, validation, snapshot compile and publish. It never imports the store. */
export {
  CertificateSchema,
  ConfigDocSchema,
  BackendSchema,
  ListenerSchema,
  PoolSchema,
  RouteSchema,
  type Backend,
  type Certificate,
  type ConfigDoc,
  type ConfigDocInput,
  type Listener,
  type Pool,
  type Route,
} from "./schema.ts";
export { ALGORITHMS, DEFAULT_TABLE_SIZE, MAX_TABLE_SIZE, DEFAULT_RING_MIN_SIZE, type Algorithm } from "./schema-pool.ts";
export * from "./defaults.ts";
export { ACCESS_LOG_FIELDS, ACCESS_LOG_FORMATS, DEFAULT_ACCESS_LOG_FIELDS } from "./schema-access-log.ts";
export { validateConfig, validateConfigReusing, type ValidatedResources } from "./validate.ts";
export { formatPath, throwIfAny, type Problem } from "./problems.ts";
export { caOnlyCertificates, checkCertificate } from "./certificates.ts";
export { canonicalJson, sameDoc } from "./canonical.ts";
export { parseConfigText } from "./parse-text.ts";
export { compileSnapshot } from "./compile.ts";
// A node's workers rebuild only what a new revision changed (src/runtime/workers).
export { compilePool } from "./compile-pool.ts";
export { compileListener } from "./compile-listener.ts";
export { relinkListener } from "./relink-listener.ts";
export { deepFreeze } from "./deep-freeze.ts";
export { SnapshotHolder, type SnapshotOverlay, type SubscriberErrorHandler } from "./holder.ts";
export { foundAddress, poolWithFound, replacePools, type FoundBackend } from "./discovered.ts";
export { DEFAULT_DISCOVERY_DRAIN_MS, DEFAULT_DISCOVERY_INTERVAL_MS, parseResolver } from "./schema-discovery.ts";
export { DEFAULT_SERVICE_NAME } from "./compile-tracing.ts";
export { redactConfig, mergeWriteOnly } from "./redact.ts";
export { diffConfig } from "./diff.ts";
export type * from "./snapshot.ts";
