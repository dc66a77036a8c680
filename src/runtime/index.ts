/** @module The running data plane's shared state: pools narrowed by health, live counters, listeners. */
export * from "./backend-stats.ts";
export * from "./pool-runtime.ts";
export * from "./pool-registry.ts";
export * from "./data-plane.ts";
export * from "./listener-set.ts";
