/** Shared bits for config tests: catching a CONFIG_INVALID and listing its paths. */
import { expect } from "bun:test";
import { LbError } from "../../src/errors.ts";

/** Runs `fn`, expects an LbError with `code`, returns it. */
export function expectLbError(fn: () => unknown, code: string): LbError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(LbError);
  expect((caught as LbError).code).toBe(code as LbError["code"]);
  return caught as LbError;
}

/** The detail paths of a CONFIG_INVALID, sorted. */
export function problemPaths(e: LbError): string[] {
  return ((e.details ?? []) as { path: string }[]).map((d) => d.path).sort();
}
