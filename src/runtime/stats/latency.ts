/**
 * Latency counts for the history's per-second p50/p99: log-spaced buckets, a quarter octave wide
 * (each bound about 19% above the last), from 10 µs to about 3 minutes. A quantile read back from
 * them is within a bucket's width of the truth, which is what a chart needs, and recording one
 * observation is a log2 and an increment: no allocation, no search, nothing per request beyond that.
 */

/** Buckets per doubling. */
const PER_OCTAVE = 4;
/** Lowest bound, ms; anything at or below it lands in bucket 0. */
const MIN_MS = 0.01;
const LOG_MIN = Math.log2(MIN_MS);
/** Bucket count: 24 octaves above MIN_MS (~168 s); slower ones share the last bucket. */
export const LATENCY_BUCKETS = 24 * PER_OCTAVE;

/** Upper bound (ms) of bucket `i`. */
export function bucketUpperMs(i: number): number {
  return MIN_MS * 2 ** ((i + 1) / PER_OCTAVE);
}

/** Counts of observations per bucket; wraps at 2^32 per bucket (readers subtract with `>>> 0`). */
export class LatencyCounts {
  readonly counts = new Uint32Array(LATENCY_BUCKETS);

  /** Records one duration in milliseconds (negative or NaN counts as 0). */
  observe(ms: number): void {
    this.counts[latencyBucket(ms)]!++;
  }

  /** Records one duration already turned into its bucket by latencyBucket (one log2 for several counts). */
  add(bucket: number): void {
    this.counts[bucket]!++;
  }
}

/** The bucket of a duration in milliseconds (negative or NaN: bucket 0; beyond the last: the last). */
export function latencyBucket(ms: number): number {
  const i = ms > MIN_MS ? ((Math.log2(ms) - LOG_MIN) * PER_OCTAVE) | 0 : 0;
  return i < LATENCY_BUCKETS ? i : LATENCY_BUCKETS - 1;
}

/**
 * The `q` quantile (0..1) of the observations counted in `delta` (counts per bucket), in ms: the
 * geometric middle of the bucket holding the nearest-rank observation. NaN when `delta` is empty.
 */
export function quantileMs(delta: ArrayLike<number>, total: number, q: number): number {
  if (total <= 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < delta.length; i++) {
    seen += delta[i]!;
    if (seen >= rank) return i === 0 ? MIN_MS : Math.sqrt(bucketUpperMs(i - 1) * bucketUpperMs(i));
  }
  return bucketUpperMs(delta.length - 1);
}
