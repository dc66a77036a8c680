import { describe, expect, test } from "bun:test";
import { failureReason } from "../../src/health/index.ts";
import { LbError } from "../../src/errors.ts";

describe("failureReason", () => {
  const key = "10.0.0.1:80";

  test("a probe the checker timed out says after how long, whatever the check threw", () => {
    expect(failureReason(new LbError("UPSTREAM_TIMEOUT", `http check of ${key} timed out`), key, true, 1000)).toBe("timeout after 1000 ms");
  });

  test("a socket error is named by its errno, also when it is the cause", () => {
    const refused = Object.assign(new Error("Failed to connect"), { code: "ECONNREFUSED" });
    expect(failureReason(new LbError("UPSTREAM_CONNECT_FAILED", `tcp check of ${key}: Failed to connect`, { cause: refused }), key, false, 1000)).toBe("connection refused");
    expect(failureReason(Object.assign(new Error("x"), { code: "ECONNRESET" }), key, false, 1000)).toBe("connection reset");
  });

  test("otherwise the check's own words without its prefix", () => {
    expect(failureReason(new LbError("UPSTREAM_PROTOCOL", `http check of ${key}: status 503`), key, false, 1000)).toBe("status 503");
    expect(failureReason(new LbError("UPSTREAM_RESET", `${key} closed before the check completed`), key, false, 1000)).toBe("closed before the check completed");
    expect(failureReason(new Error("something else"), key, false, 1000)).toBe("something else");
  });
});
