/** Host patterns prepared at compile time and matched on the hot path without allocating. */
import type { HostMatch } from "./snapshot.ts";

/** Prepares "API.example.com" or "*.example.com" (lower-cased). */
export function compileHostMatch(pattern: string): HostMatch {
  const p = pattern.toLowerCase();
  const wildcard = p.startsWith("*.");
  return { pattern: p, wildcard, suffix: wildcard ? p.slice(1) : p };
}

/**
 * True when `host` (lower-case, without port) matches. A wildcard needs at least one character
 * before its suffix: "*.example.com" matches "a.example.com" but not "example.com".
 */
export function hostMatches(m: HostMatch, host: string): boolean {
  if (!m.wildcard) return host === m.suffix;
  return host.length > m.suffix.length && host.endsWith(m.suffix);
}
