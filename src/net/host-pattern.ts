/**
 * Host names as Fulcrum matches them: route `match.host`, the https certificate picked by SNI and
 * tls_passthrough `sni` rules all go through this one module, so they cannot disagree. Names
 * compare lower-case and without a trailing dot ("API.Example.com." is "api.example.com"). A
 * pattern is a name or "*." + name; the wildcard covers any name with at least one more label,
 * at any depth ("*.example.com" matches a.example.com and a.b.example.com, not example.com).
 */
import { LABEL } from "./host-port.ts";

/** A compiled pattern: lower-case, no trailing dot. */
export interface HostPattern {
  /** As configured, normalized. */
  readonly pattern: string;
  readonly wildcard: boolean;
  /** The exact name, or for a wildcard the suffix with its leading dot (".example.com"). */
  readonly suffix: string;
}

const PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*\\.?$`, "i");
const DOT = 46;
const OPEN_BRACKET = 91;

/** True for a host name, optionally "*." + host name (a trailing dot allowed). */
export function isHostPattern(s: string): boolean {
  return s.length <= 256 && PATTERN.test(s);
}

/** `name` as compared: lower-case, one trailing dot dropped. */
export function normalizeHostName(name: string): string {
  const n = name.charCodeAt(name.length - 1) === DOT ? name.slice(0, -1) : name;
  return n.toLowerCase();
}

/**
 * The host of a Host field value or a target's authority, as compared: without the port,
 * lower-case, no trailing dot. "API.test.:8080" → "api.test", "[::1]:80" → "[::1]". The value is
 * one the request parser accepted (see authority.ts), so no syntax is checked here.
 */
export function hostOfAuthority(field: string): string {
  // Lower-case first: JSC returns an already lower-case string as it is, but copies a substring.
  const h = field.toLowerCase();
  let end = h.length;
  if (h.charCodeAt(0) === OPEN_BRACKET) {
    const close = h.indexOf("]");
    if (close >= 0) end = close + 1;
  } else {
    const colon = h.lastIndexOf(":");
    if (colon >= 0) end = colon;
  }
  if (end > 0 && h.charCodeAt(end - 1) === DOT) end--;
  return end === h.length ? h : h.slice(0, end);
}

/** Compiles "API.example.com" or "*.example.com" (checked by isHostPattern beforehand). */
export function compileHostPattern(pattern: string): HostPattern {
  const p = normalizeHostName(pattern);
  const wildcard = p.startsWith("*.");
  return { pattern: p, wildcard, suffix: wildcard ? p.slice(1) : p };
}

/** True when `host` (as hostOfAuthority or normalizeHostName gives it) matches `p`. No allocation. */
export function hostMatches(p: HostPattern, host: string): boolean {
  if (!p.wildcard) return host === p.suffix;
  return host.length > p.suffix.length && host.endsWith(p.suffix);
}

/**
 * Patterns → targets, for a choice by the most specific pattern (Envoy's server_names order): the
 * exact name, else the longest matching wildcard, else nothing. Built once per snapshot; a lookup
 * is one Map get per label of the name.
 */
export class HostTable<T> {
  private readonly exact = new Map<string, T>();
  // Keyed by the suffix with its leading dot: "*.example.com" → ".example.com".
  private readonly wild = new Map<string, T>();

  /** Adds `pattern` → `target`; false (and no change) when the pattern is already there. */
  add(pattern: string | HostPattern, target: T): boolean {
    const p = typeof pattern === "string" ? compileHostPattern(pattern) : pattern;
    const map = p.wildcard ? this.wild : this.exact;
    if (map.has(p.suffix)) return false;
    map.set(p.suffix, target);
    return true;
  }

  /** The target for server name `name` (any case, trailing dot allowed), or undefined. */
  lookup(name: string): T | undefined {
    const n = normalizeHostName(name);
    const hit = this.exact.get(n);
    if (hit !== undefined) return hit;
    // The first dot gives the longest suffix: the most specific wildcard wins.
    for (let dot = n.indexOf("."); dot >= 0; dot = n.indexOf(".", dot + 1)) {
      const w = this.wild.get(n.slice(dot));
      if (w !== undefined) return w;
    }
    return undefined;
  }
}
