/** @module Active health checks: probes, the per-backend state machine and the scheduler. */
export * from "./types.ts";
export * from "./health.ts";
export * from "./spec.ts";
export * from "./http-check.ts";
export * from "./tcp-check.ts";
export * from "./checker.ts";
export * from "./worker-checker.ts";
export * from "./create-checker.ts";
export * from "./outlier.ts";
export * from "./usable.ts";
export { failureReason } from "./failure-reason.ts";
