/**
 * Maglev keys in Envoy's fill order (ascending UTF-8 bytes, as std::sort orders its string_views)
 * and their bytes in the core's key region. Only src/wasm/maglev.ts uses this.
 */
import { LbError } from "../errors.ts";

const encoder = new TextEncoder();

/**
 * Indices of `keys` in JS string order (UTF-16 code units), which is UTF-8 byte order unless a key
 * holds a code unit ≥ U+D800 (surrogates, then U+E000–U+FFFF sort below them in UTF-16 only).
 */
export function stringOrder(keys: readonly string[]): number[] {
  const order = new Array<number>(keys.length);
  for (let i = 0; i < keys.length; i++) order[i] = i;
  return order.sort((a, b) => {
    const x = keys[a]!;
    const y = keys[b]!;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Indices of `keys` in UTF-8 byte order: for the rare keys stringOrder cannot order. */
export function byteOrder(keys: readonly string[]): number[] {
  const bytes = keys.map((k) => encoder.encode(k));
  return keys
    .map((_, i) => i)
    .sort((a, b) => {
      const x = bytes[a]!;
      const y = bytes[b]!;
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return x.length - y.length;
    });
}

/**
 * Throws INVALID_ARGUMENT for a key given twice (neighbours once ordered): duplicates would share
 * one permutation and the table would depend on input order.
 */
export function rejectDuplicates(keys: readonly string[], order: readonly number[]): void {
  for (let s = 1; s < order.length; s++) {
    const k = keys[order[s]!]!;
    if (k === keys[order[s - 1]!]) throw new LbError("INVALID_ARGUMENT", `maglev: duplicate key ${JSON.stringify(k)}`);
  }
}

/**
 * Writes `keys[order[s]]` as UTF-8 back to back from byte `at` of `u8`, and the start of each (from
 * `at`) to `u32[offs + s]`, with the end after the last at `u32[offs + n]`. Room for 3 bytes per
 * code unit must be there. Unless `byteOrdered`, returns false, partway, when a key holds a code unit
 * ≥ U+D800: then string order may not be byte order, and the caller orders by bytes and writes again.
 */
export function writeKeys(
  u8: Uint8Array, at: number, u32: Uint32Array, offs: number,
  keys: readonly string[], order: readonly number[], byteOrdered: boolean,
): boolean {
  let len = 0;
  for (let s = 0; s < order.length; s++) {
    const k = keys[order[s]!]!;
    u32[offs + s] = len;
    let i = 0;
    for (; i < k.length; i++) {
      const c = k.charCodeAt(i);
      if (c >= 0x80) break;
      u8[at + len + i] = c;
    }
    if (i === k.length) {
      len += i;
      continue;
    }
    if (!byteOrdered && /[\uD800-\uFFFF]/.test(k)) return false;
    len += encoder.encodeInto(k, u8.subarray(at + len)).written;
  }
  u32[offs + order.length] = len;
  return true;
}
