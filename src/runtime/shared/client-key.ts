/**
 * A client address (or any short string) under a scope, as the two 32-bit words of a KeyTable
 * key: FNV-1a with two different bases, each finished with murmur3's fmix32. 64 bits make two
 * clients sharing an entry (and so a limit) a 1-in-2^32 event even among 65,536 live ones. No
 * allocation: each word is a loop over the string's char codes.
 */

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function fnv(seed: number, scope: number, s: string): number {
  let h = (seed ^ scope) | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

/** The first word of `s`'s key under `scope`. */
export function keyHi(scope: number, s: string): number {
  return fnv(0x811c9dc5, scope, s);
}

/** The second word of `s`'s key under `scope`. */
export function keyLo(scope: number, s: string): number {
  return fnv(0x2f2b6a3d, Math.imul(scope, 0x9e3779b1), s);
}

/** A scope id for a name (a listener, "listener/route", a limit and its settings): computed once, off the hot path. */
export function scopeOf(name: string): number {
  return keyHi(0x5bd1e995, name);
}
