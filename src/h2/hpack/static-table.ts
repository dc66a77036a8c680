/**
 * The HPACK static table (RFC 7541 Appendix A), indexes 1 to 61, as strings for the encoder and as
 * one latin1 buffer with offsets for the decoder (an indexed field is copied, never re-encoded).
 */

/** [name, value] for indexes 1..61 (entry 0 unused). */
const ENTRIES: readonly (readonly [string, string])[] = [
  ["", ""],
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""],
  ["etag", ""], ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""],
  ["if-modified-since", ""], ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""],
  ["last-modified", ""], ["link", ""], ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""],
  ["proxy-authorization", ""], ["range", ""], ["referer", ""], ["refresh", ""], ["retry-after", ""],
  ["server", ""], ["set-cookie", ""], ["strict-transport-security", ""], ["transfer-encoding", ""],
  ["user-agent", ""], ["vary", ""], ["via", ""], ["www-authenticate", ""],
];

/** Entries in the static table; dynamic indexes start after it. */
export const STATIC_COUNT = 61;

/** All names and values back to back; STATIC_OFFSETS[4i..4i+3] = nameStart, nameEnd, valueStart, valueEnd. */
export const STATIC_BYTES: Buffer = Buffer.from(ENTRIES.map(([n, v]) => n + v).join(""), "latin1");
export const STATIC_OFFSETS: Int32Array = (() => {
  const o = new Int32Array(4 * (STATIC_COUNT + 1));
  let p = 0;
  ENTRIES.forEach(([n, v], i) => {
    o.set([p, p + n.length, p + n.length, p + n.length + v.length], 4 * i);
    p += n.length + v.length;
  });
  return o;
})();

/** Where the encoder finds a name: its first index, and the indexes of the values listed with it. */
export interface StaticName {
  index: number;
  values: ReadonlyMap<string, number> | null;
}

/** Static names (lower-case) → first index and the static entries that also carry a value. */
export const STATIC_BY_NAME: ReadonlyMap<string, StaticName> = (() => {
  const m = new Map<string, { index: number; values: Map<string, number> | null }>();
  for (let i = 1; i <= STATIC_COUNT; i++) {
    const [name, value] = ENTRIES[i]!;
    let e = m.get(name);
    if (e === undefined) m.set(name, (e = { index: i, values: null }));
    if (value !== "") (e.values ??= new Map()).set(value, i);
  }
  return m;
})();

/** The [name, value] of static index `i` (1..61), for tests and logs. */
export function staticEntry(i: number): readonly [string, string] {
  return ENTRIES[i]!;
}
