/** @module Overload protection shared by L4 and L7: rate limiting, circuit breaking, connections per client. */
export * from "./rate-limiter.ts";
export * from "./circuit-breaker.ts";
export * from "./client-table.ts";
