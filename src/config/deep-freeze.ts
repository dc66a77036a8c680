/** Deep freeze for snapshots: plain objects and arrays only. */

/**
 * Freezes `value` and every plain object / array it reaches. Anything else (a selector with its
 * counters, a RegExp, a typed array, which Object.freeze rejects) is frozen neither itself nor inside:
 * those carry state their owners manage.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
  return value;
}
