/** @module Overload protection shared by L4 and L7: rate limiting and circuit breaking. */
export * from "./rate-limiter.ts";
export * from "./circuit-breaker.ts";
