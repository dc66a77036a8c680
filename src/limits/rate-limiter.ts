/**
 * Token-bucket rate limiting by client address (per listener or route): `rate` tokens a second
 * refill up to `burst`; a request takes one. Buckets live in a Map bounded by `maxClients`; when
 * full, the least recently seen bucket goes (a Map iterates in insertion order, and each take
 * re-inserts its key), so a flood of spoofed addresses costs bounded memory.
 */
export interface RateLimitSpec {
  /** Requests per second, sustained. */
  readonly rate: number;
  /** Bucket size: requests allowed at once after a quiet spell. */
  readonly burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** The verdict for one request: allowed, or denied with the seconds until a token is back. */
export type RateVerdict = { allowed: true } | { allowed: false; retryAfterS: number };

/** The one allowed verdict (never allocate one per request). */
export const ALLOWED: RateVerdict = { allowed: true };

export class RateLimiter implements ClientLimiter {
  readonly #buckets = new Map<string, Bucket>();
  #denied = 0;

  constructor(
    readonly spec: RateLimitSpec,
    private readonly maxClients = 100_000,
  ) {}

  /** Requests denied so far (for metrics). */
  get denied(): number {
    return this.#denied;
  }

  /** Takes one token for `client` at `nowMs`. */
  take(client: string, nowMs: number): RateVerdict {
    let b = this.#buckets.get(client);
    if (b) {
      this.#buckets.delete(client);
      b.tokens = refill(this.spec, b.tokens, b.at, nowMs);
      b.at = nowMs;
    } else {
      if (this.#buckets.size >= this.maxClients) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      b = { tokens: this.spec.burst, at: nowMs };
    }
    this.#buckets.set(client, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return ALLOWED;
    }
    this.#denied++;
    return denied(this.spec, b.tokens);
  }
}

/** The tokens of a bucket that held `tokens` at `atMs`, at `nowMs`: refilled at `rate` a second, up to `burst`. */
export function refill(spec: RateLimitSpec, tokens: number, atMs: number, nowMs: number): number {
  return Math.min(spec.burst, tokens + (Math.max(0, nowMs - atMs) / 1000) * spec.rate);
}

/** The verdict for a bucket left with `tokens` (< 1): denied, with the seconds until one is back. */
export function denied(spec: RateLimitSpec, tokens: number): RateVerdict {
  // Retry-After is whole seconds (RFC 9110 §10.2.3); round up so a client that obeys succeeds.
  return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / spec.rate)) };
}

/** What the L7 data plane asks of a limiter (RateLimiter, or one shared by a node's workers). */
export interface ClientLimiter {
  readonly spec: RateLimitSpec;
  readonly denied: number;
  take(client: string, nowMs: number): RateVerdict;
}
