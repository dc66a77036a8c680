/**
 * The benchmark harness behind `bun run bench`. Each `test/bench/*.bench.ts` exports
 * `run(report)`; the harness prints a table, or with `--json` one JSON object a line:
 * `{"name","value","unit","oracle"}` (oracle: the plain-TS twin's figure, when there is one).
 */

/** One measured figure; `target` is the issue's goal, printed beside it (not enforced). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  oracle?: number;
  target?: string;
}

export type Report = (figure: Figure) => void;

/** Median of `samples` timings of `fn` in milliseconds, after `warmup` untimed runs. */
export function medianMs(fn: () => void, samples = 15, warmup = 3): number {
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = Bun.nanoseconds();
    fn();
    times.push((Bun.nanoseconds() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/**
 * Nanoseconds per operation: runs `loop(n)` (which must do n operations) `samples` times and
 * returns the median per-op time. Keep the work inside `loop` so call overhead is amortised.
 */
export function nsPerOp(loop: (n: number) => void, n: number, samples = 9): number {
  loop(Math.min(n, 10_000));
  const per: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = Bun.nanoseconds();
    loop(n);
    per.push((Bun.nanoseconds() - t0) / n);
  }
  per.sort((a, b) => a - b);
  return per[per.length >> 1]!;
}

/** A non-negative number from the environment variable `name`, else `fallback`; throws on anything else. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}
