/**
 * Sticky-session cookies that any node with the same secret honours without shared state: the
 * value names a backend and its expiry, signed with HMAC-SHA256 (RFC 2104) truncated to 128 bits
 * (RFC 2104 §5 allows truncation to no less than half the output). Layout, base64url without
 * padding: version (1 byte) | expiry in Unix seconds (u32 BE) | tag (16 bytes) | backend key (UTF-8).
 * The key travels readable, as HAProxy's inserted cookies do; the tag makes it unforgeable.
 * A forged, expired, malformed or unknown-backend value is simply ignored and the caller re-pins.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { LbError } from "../errors.ts";
import type { BalanceBackend } from "./selector.ts";

const VERSION = 1;
const TAG_BYTES = 16;
const HEAD = 1 + 4 + TAG_BYTES;
/** Longest cookie value verifySticky looks at; anything longer is ignored unread. */
export const STICKY_MAX_LENGTH = 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

function tag(secret: string, version: number, exp: number, key: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = version;
  head.writeUInt32BE(exp, 1);
  return createHmac("sha256", secret).update(head).update(key).digest().subarray(0, TAG_BYTES);
}

/**
 * The cookie value pinning a client to `backendKey` until `nowMs` + `ttlS` seconds. Throws
 * CONFIG_INVALID for an empty secret or key, or a ttl that is not a positive number of seconds.
 */
export function signSticky(backendKey: string, secret: string, nowMs: number, ttlS: number): string {
  if (secret.length === 0) throw new LbError("CONFIG_INVALID", "sticky: the secret is empty");
  if (backendKey.length === 0) throw new LbError("CONFIG_INVALID", "sticky: the backend key is empty");
  const exp = Math.floor(nowMs / 1000) + Math.ceil(ttlS);
  if (!(ttlS > 0) || !Number.isFinite(exp) || exp > 0xffffffff) {
    throw new LbError("CONFIG_INVALID", `sticky: ttl_s must be a positive number of seconds, got ${ttlS}`);
  }
  const key = Buffer.from(backendKey, "utf8");
  const out = Buffer.alloc(HEAD + key.length);
  out[0] = VERSION;
  out.writeUInt32BE(exp, 1);
  tag(secret, VERSION, exp, key).copy(out, 5);
  key.copy(out, HEAD);
  return out.toString("base64url");
}

/** The backend key a cookie value pins to, or undefined when it is forged, expired at `nowMs`, or malformed. */
export function verifySticky(value: string, secret: string, nowMs: number): string | undefined {
  if (secret.length === 0 || value.length > STICKY_MAX_LENGTH || !B64URL.test(value)) return undefined;
  const raw = Buffer.from(value, "base64url");
  if (raw.length <= HEAD || raw[0] !== VERSION) return undefined;
  const exp = raw.readUInt32BE(1);
  if (!(nowMs / 1000 < exp)) return undefined;
  const key = raw.subarray(HEAD);
  if (!timingSafeEqual(raw.subarray(5, HEAD), tag(secret, VERSION, exp, key))) return undefined;
  return key.toString("utf8");
}

/** Backend key -> index for a selector's backend list, built with the selector (off the hot path). */
export function backendIndex(backends: readonly BalanceBackend[]): ReadonlyMap<string, number> {
  const m = new Map<string, number>();
  backends.forEach((b, i) => {
    if (b.weight > 0) m.set(b.key, i);
  });
  return m;
}

/**
 * The backend index a sticky cookie pins to among `index` (from backendIndex over the usable
 * backends), or -1 when the cookie is absent, forged, expired, malformed, or names a backend that
 * is not usable now: the caller then picks with the selector and sets a fresh cookie.
 */
export function stickyIndex(value: string | undefined, secret: string, nowMs: number, index: ReadonlyMap<string, number>): number {
  if (value === undefined) return -1;
  const key = verifySticky(value, secret, nowMs);
  return key === undefined ? -1 : (index.get(key) ?? -1);
}
