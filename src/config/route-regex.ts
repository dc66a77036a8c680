/**
 * Route regexes (`match.path_regex`) run on RE2JS, a linear-time engine with RE2's syntax, as
 * Envoy's safe_regex and Traefik's Go regexp do: matching cannot backtrack, so its cost is bounded
 * by the path's length times the pattern's program size, whatever the path. JavaScript's RegExp
 * spends seconds on "(a+)+$" against 30 characters, and 90 s on ".*x.*y" against 8,000; neither
 * refusing nested quantifiers nor refusing backreferences alone would bound that. RE2 has no
 * backreferences and no lookaround: patterns using them are refused at validation, and so is one
 * whose program is larger than MAX_PROGRAM_SIZE (Envoy's default limit).
 */
import { RE2JS } from "re2js";

/** Envoy's default `max_program_size`: 100 instructions (a path of 8 KiB then costs under ~10 ms). */
export const MAX_PROGRAM_SIZE = 100;

/** A compiled route regex: `test` is true when the pattern matches anywhere in `path` (unanchored unless written with ^ and $). */
export interface RouteRegex {
  readonly source: string;
  test(path: string): boolean;
}

/** Compiles `source`, or says why it is refused (the validation message). */
export function compileRouteRegex(source: string): RouteRegex | string {
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (e) {
    return `not a regex Fulcrum runs (RE2 syntax: no backreferences, no lookaround): ${(e as Error).message}`;
  }
  const size = re.programSize();
  if (size > MAX_PROGRAM_SIZE) return `too costly: its program has ${size} instructions, the most is ${MAX_PROGRAM_SIZE}`;
  return { source, test: (path) => re.test(path) };
}
