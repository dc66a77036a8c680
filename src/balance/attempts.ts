/**
 * How a retry avoids earlier picks: every selector records its answer in the caller's PickContext
 * (`first` for attempt 0, `last` for every attempt), and an attempt > 0 leaves both out whenever
 * another backend exists. Hashing selectors are deterministic on top of this (attempt k walks to the
 * k-th distinct backend along the table), so they avoid earlier picks even with a fresh ctx.
 */
import type { PickContext } from "./selector.ts";

/** The index attempt 0 returned, when this is a retry (-1 otherwise). */
export function avoidFirst(ctx: PickContext, attempt: number): number {
  return attempt > 0 && ctx.first !== undefined ? ctx.first : -1;
}

/** The index the previous attempt returned, when this is a retry (-1 otherwise). */
export function avoidLast(ctx: PickContext, attempt: number): number {
  return attempt > 0 && ctx.last !== undefined ? ctx.last : -1;
}

/** Records `index` as this attempt's pick in ctx and returns it. */
export function record(ctx: PickContext, attempt: number, index: number): number {
  if (attempt === 0) ctx.first = index;
  ctx.last = index;
  return index;
}
