import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { backendIndex, createSelector, signSticky, STICKY_MAX_LENGTH, stickyIndex, verifySticky } from "../../src/balance/index.ts";
import { isLbError } from "../../src/errors.ts";
import { ctxOf, pool } from "./selector.contract.ts";

const SECRET = "k3y-with-32-random-bytes-0123456789abcdef";
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

describe("sticky cookie", () => {
  test("round trips the backend key until it expires, on any node with the secret", () => {
    for (const key of ["10.0.0.1:80", "[2001:db8::7]:8443", "backend-ü:1"]) {
      const v = signSticky(key, SECRET, NOW, 3600);
      expect(v).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(verifySticky(v, SECRET, NOW)).toBe(key);
      expect(verifySticky(v, SECRET, NOW + 3_599_000)).toBe(key);
    }
  });

  test("is compact: under 50 characters for an IPv4 address", () => {
    expect(signSticky("10.0.0.1:8080", SECRET, NOW, 3600).length).toBeLessThan(50);
  });

  test("expires after ttl_s", () => {
    const v = signSticky("10.0.0.1:80", SECRET, NOW, 60);
    expect(verifySticky(v, SECRET, NOW + 59_999)).toBe("10.0.0.1:80");
    expect(verifySticky(v, SECRET, NOW + 60_000)).toBeUndefined();
    expect(verifySticky(v, SECRET, NOW + 86_400_000)).toBeUndefined();
  });

  test("rejects any single-byte tamper and a wrong secret", () => {
    const v = signSticky("10.0.0.1:80", SECRET, NOW, 3600);
    const raw = Buffer.from(v, "base64url");
    for (let i = 0; i < raw.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const t = Buffer.from(raw);
        t[i] = t[i]! ^ bit;
        expect(verifySticky(t.toString("base64url"), SECRET, NOW)).toBeUndefined();
      }
    }
    expect(verifySticky(v, SECRET + "x", NOW)).toBeUndefined();
  });

  test("rejects a forged value that extends its own expiry or swaps the backend", () => {
    const raw = Buffer.from(signSticky("10.0.0.1:80", SECRET, NOW, 60), "base64url");
    const later = Buffer.from(raw);
    later.writeUInt32BE(raw.readUInt32BE(1) + 86_400, 1);
    expect(verifySticky(later.toString("base64url"), SECRET, NOW + 120_000)).toBeUndefined();
    const swapped = Buffer.concat([raw.subarray(0, 21), Buffer.from("10.0.0.2:80")]);
    expect(verifySticky(swapped.toString("base64url"), SECRET, NOW)).toBeUndefined();
  });

  test("accepts a value signed independently with the documented layout", () => {
    const exp = Math.floor(NOW / 1000) + 10;
    const head = Buffer.from([1, 0, 0, 0, 0]);
    head.writeUInt32BE(exp, 1);
    const key = Buffer.from("10.1.2.3:80");
    const tag = createHmac("sha256", SECRET).update(Buffer.concat([head, key])).digest().subarray(0, 16);
    const v = Buffer.concat([head, tag, key]).toString("base64url");
    expect(verifySticky(v, SECRET, NOW)).toBe("10.1.2.3:80");
  });

  test("ignores malformed values", () => {
    const good = signSticky("10.0.0.1:80", SECRET, NOW, 3600);
    for (const v of ["", "=", "a.b", "!!!!", good + "=", good.slice(0, 20), "A".repeat(STICKY_MAX_LENGTH + 1), good.replace(/^./, "B")]) {
      expect(verifySticky(v, SECRET, NOW)).toBeUndefined();
    }
    expect(verifySticky(good, "", NOW)).toBeUndefined();
  });

  test("refuses to sign with an empty secret or key or a bad ttl", () => {
    for (const f of [
      () => signSticky("10.0.0.1:80", "", NOW, 60),
      () => signSticky("", SECRET, NOW, 60),
      () => signSticky("10.0.0.1:80", SECRET, NOW, 0),
      () => signSticky("10.0.0.1:80", SECRET, NOW, Number.NaN),
      () => signSticky("10.0.0.1:80", SECRET, NOW, 2 ** 40),
    ]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(isLbError(err, "CONFIG_INVALID")).toBe(true);
    }
  });

  test("re-pins when the cookie is missing, forged, expired or names a backend no longer usable", () => {
    const backends = pool(4);
    const s = createSelector(backends, { algorithm: "round_robin" });
    const index = backendIndex(backends);
    const pinned = signSticky(backends[2]!.key, SECRET, NOW, 60);
    expect(stickyIndex(pinned, SECRET, NOW, index)).toBe(2);
    expect(stickyIndex(undefined, SECRET, NOW, index)).toBe(-1);
    expect(stickyIndex(pinned, "other-secret", NOW, index)).toBe(-1);
    expect(stickyIndex(pinned, SECRET, NOW + 61_000, index)).toBe(-1);
    // backend 2 went down: the caller rebuilt its selector and index from the usable ones
    const usable = backends.filter((_, i) => i !== 2);
    const usableIndex = backendIndex(usable);
    expect(stickyIndex(pinned, SECRET, NOW, usableIndex)).toBe(-1);
    const again = createSelector(usable, { algorithm: "round_robin" }).pick(ctxOf(), 0);
    const repinned = signSticky(usable[again]!.key, SECRET, NOW, 60);
    expect(stickyIndex(repinned, SECRET, NOW, usableIndex)).toBe(again);
    expect(s.pick(ctxOf(), 0)).toBeGreaterThanOrEqual(0);
  });

  test("the index leaves out backends of weight 0", () => {
    const index = backendIndex(pool(3, (i) => (i === 1 ? 0 : 1)));
    expect([...index.values()]).toEqual([0, 2]);
  });
});
