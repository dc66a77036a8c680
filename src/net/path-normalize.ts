/**
 * The path routes are matched on, and that is forwarded (README: "Paths"): RFC 3986 §6.2.2
 * syntax-based normalization of a request path. In its order: percent-encoded unreserved
 * characters are decoded ("%61" → "a", "%2E" → ".") and the other escapes get upper-case hex;
 * runs of "/" become one when `mergeSlashes` (nginx's merge_slashes, on by default); "." and ".."
 * segments are resolved (§5.2.4). Refused, as nothing safe can be made of them: an encoded "/",
 * "\" or NUL (a backend would split or cut the segment differently), a malformed escape, and a
 * ".." that climbs above the root. Case is kept: matching case-insensitively is a route's choice.
 */

/** Why a path was refused (the reason of the 400). */
export type PathProblem = "ENCODED_SLASH" | "ENCODED_BACKSLASH" | "ENCODED_NUL" | "BAD_PERCENT_ENCODING" | "PATH_ABOVE_ROOT";

/** A refusal, one frozen object per reason: tell it from a path with `typeof r !== "string"`. */
export interface PathRefusal {
  readonly problem: PathProblem;
}

const refusals = {} as Record<PathProblem, PathRefusal>;
for (const p of ["ENCODED_SLASH", "ENCODED_BACKSLASH", "ENCODED_NUL", "BAD_PERCENT_ENCODING", "PATH_ABOVE_ROOT"] as const) {
  refusals[p] = Object.freeze({ problem: p });
}

const SLASH = 47, DOT = 46;
const HEX_DIGITS = "0123456789ABCDEF";

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3). */
function isUnreserved(b: number): boolean {
  return (b >= 48 && b <= 57) || ((b | 0x20) >= 97 && (b | 0x20) <= 122) || b === 45 || b === 46 || b === 95 || b === 126;
}

/**
 * `path` (starting with "/", no query) in normal form, or the refusal. A path already in normal
 * form (the common case) comes back as the same string, after one scan and no allocation.
 */
export function normalizePath(path: string, mergeSlashes: boolean): string | PathRefusal {
  return isNormal(path, mergeSlashes) ? path : rebuild(path, mergeSlashes);
}

/**
 * True when normalizing would change nothing: no escape, no "//" to merge, no "." or ".." segment.
 * Native searches: faster than a charCodeAt loop, more so on long paths.
 */
function isNormal(path: string, mergeSlashes: boolean): boolean {
  if (path.indexOf("%") >= 0 || (mergeSlashes && path.indexOf("//") >= 0)) return false;
  const n = path.length;
  for (let i = path.indexOf("/."); i >= 0; i = path.indexOf("/.", i + 2)) {
    const c2 = path.charCodeAt(i + 2);
    if (i + 2 === n || c2 === SLASH) return false;
    if (c2 === DOT && (i + 3 === n || path.charCodeAt(i + 3) === SLASH)) return false;
  }
  return true;
}

function rebuild(path: string, mergeSlashes: boolean): string | PathRefusal {
  const decoded = decodeUnreserved(path);
  if (typeof decoded !== "string") return decoded;
  const segments = decoded.split("/");
  const out: string[] = [];
  // segments[0] is the "" before the leading "/"
  for (let i = 1; i < segments.length; i++) {
    const seg = segments[i]!;
    const last = i === segments.length - 1;
    if (seg === "..") {
      if (out.length === 0) return refusals.PATH_ABOVE_ROOT;
      out.pop();
      if (last) out.push("");
    } else if (seg === ".") {
      if (last) out.push("");
    } else if (seg !== "" || last || !mergeSlashes) out.push(seg);
  }
  return `/${out.join("/")}`;
}

/** Decodes escapes of unreserved characters, upper-cases the hex of the others. */
function decodeUnreserved(path: string): string | PathRefusal {
  let out = "";
  let from = 0;
  for (let i = path.indexOf("%"); i >= 0; i = path.indexOf("%", i)) {
    const hi = hexValue(path.charCodeAt(i + 1));
    const lo = hexValue(path.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return refusals.BAD_PERCENT_ENCODING;
    const b = (hi << 4) | lo;
    if (b === SLASH) return refusals.ENCODED_SLASH;
    if (b === 0x5c) return refusals.ENCODED_BACKSLASH;
    if (b === 0) return refusals.ENCODED_NUL;
    out += path.slice(from, i) + (isUnreserved(b) ? String.fromCharCode(b) : `%${HEX_DIGITS[hi]}${HEX_DIGITS[lo]}`);
    i += 3;
    from = i;
  }
  return from === 0 ? path : out + path.slice(from);
}
