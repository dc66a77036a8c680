/**
 * Byte-class tables for the strict HTTP/1.1 grammar (RFC 9110 §5.6.2, RFC 9112 §3, RFC 3986).
 * One Uint8Array lookup per byte keeps the validating scans flat and branch-light.
 */

function table(pred: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = pred(b) ? 1 : 0;
  return t;
}

const isAlnum = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);

/** tchar: the characters of a token (method, header name, transfer coding). */
export const TCHAR = table((b) => isAlnum(b) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b)));

/** Bytes allowed inside a field value: HTAB, SP, VCHAR and obs-text; never CR, LF, NUL or other controls. */
export const FIELD_VALUE = table((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f));

/**
 * Bytes allowed in a request-target: visible ASCII without `#` (a fragment is never sent, RFC 9112 §3.2)
 * and without the characters RFC 3986 never allows unencoded (`"<>\^`{|}` plus SP and controls).
 */
export const TARGET = table((b) => b > 0x20 && b < 0x7f && !'#"<>\\^`{|}'.includes(String.fromCharCode(b)));

/** Hex digit value, or 255 when `b` is not a hex digit. */
export const HEX = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

export const CR = 13;
export const LF = 10;
export const SP = 32;
export const HT = 9;
/** "\r\n\r\n" as bytes, for Buffer.indexOf. */
export const CRLFCRLF = Buffer.from("\r\n\r\n", "latin1");
