import { describe, expect, test } from "bun:test";
import { CircuitBreaker, RateLimiter } from "../../src/limits/index.ts";

describe("RateLimiter", () => {
  test("allows a burst, then the sustained rate, and tells when to retry", () => {
    const rl = new RateLimiter({ rate: 2, burst: 3 });
    expect([0, 0, 0].map((t) => rl.take("1.2.3.4", t).allowed)).toEqual([true, true, true]);
    const denied = rl.take("1.2.3.4", 0);
    expect(denied).toEqual({ allowed: false, retryAfterS: 1 });
    expect(rl.take("1.2.3.4", 499).allowed).toBe(false);
    expect(rl.take("1.2.3.4", 500).allowed).toBe(true);
    expect(rl.denied).toBe(2);
  });

  test("keeps clients apart", () => {
    const rl = new RateLimiter({ rate: 1, burst: 1 });
    expect(rl.take("a", 0).allowed).toBe(true);
    expect(rl.take("a", 0).allowed).toBe(false);
    expect(rl.take("b", 0).allowed).toBe(true);
  });

  test("a slow rate gives a longer Retry-After", () => {
    const rl = new RateLimiter({ rate: 0.1, burst: 1 });
    rl.take("a", 0);
    expect(rl.take("a", 0)).toEqual({ allowed: false, retryAfterS: 10 });
  });

  test("memory stays bounded under a flood of addresses (least recently seen goes first)", () => {
    const rl = new RateLimiter({ rate: 1, burst: 1 }, 100);
    rl.take("keep", 0);
    for (let i = 0; i < 10_000; i++) {
      rl.take(`10.0.${i >> 8}.${i & 255}`, 0);
      if (i % 50 === 0) rl.take("keep", 0);
    }
    expect(rl.take("keep", 0).allowed).toBe(false);
  });
});

describe("CircuitBreaker", () => {
  test("fails fast over each cap and recovers on release", () => {
    const cb = new CircuitBreaker({ maxConnections: 2, maxPendingRequests: 1, maxRequests: 3 });
    expect(cb.tryAcquire("connections")).toBe(true);
    expect(cb.tryAcquire("connections")).toBe(true);
    expect(cb.tryAcquire("connections")).toBe(false);
    expect(cb.tryAcquire("pending")).toBe(true);
    expect(cb.tryAcquire("pending")).toBe(false);
    cb.release("connections");
    expect(cb.tryAcquire("connections")).toBe(true);
    expect(cb.overflows).toBe(2);
    for (let i = 0; i < 3; i++) expect(cb.tryAcquire("requests")).toBe(true);
    expect(cb.tryAcquire("requests")).toBe(false);
  });
});
