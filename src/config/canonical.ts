/** Order-insensitive equality for config documents (write-if-changed). */

/**
 * JSON with object keys sorted at every level; `undefined` members are dropped, as JSON.stringify
 * drops them. Array order is kept: it is meaningful (routes match first to last).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = sortKeys(x);
  }
  return out;
}

/** True when two documents are equal ignoring key order. */
export function sameDoc(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
