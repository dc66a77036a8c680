/**
 * Byte classes for validating HTTP/2 fields (RFC 9113 §8.2.1, §8.3.1) with the same strictness as
 * the HTTP/1.1 codec's (src/http/chars.ts, not exported from its barrel): what reaches an HTTP/1.1
 * backend from an HTTP/2 client must be something the HTTP/1.1 parser would have accepted.
 */

function table(pred: (b: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let b = 0; b < 256; b++) t[b] = pred(b) ? 1 : 0;
  return t;
}

const isDigit = (b: number) => b >= 0x30 && b <= 0x39;
const isLower = (b: number) => b >= 0x61 && b <= 0x7a;
const isUpper = (b: number) => b >= 0x41 && b <= 0x5a;
const TOKEN_PUNCT = "!#$%&'*+-.^_`|~";

/** tchar: a method (any case). */
export const TCHAR = table((b) => isDigit(b) || isLower(b) || isUpper(b) || TOKEN_PUNCT.includes(String.fromCharCode(b)));

/** A field name byte in HTTP/2: a tchar that is not upper-case (RFC 9113 §8.2.1). */
export const NAME_CHAR = table((b) => isDigit(b) || isLower(b) || TOKEN_PUNCT.includes(String.fromCharCode(b)));

/** A field value byte: HTAB, SP, VCHAR, obs-text; never NUL, CR, LF or another control. */
export const VALUE_CHAR = table((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f));

/** A :path byte: visible ASCII without the characters RFC 3986 never allows unencoded, nor `#`. */
export const PATH_CHAR = table((b) => b > 0x20 && b < 0x7f && !'#"<>\\^`{|}'.includes(String.fromCharCode(b)));

/** An :authority or Host byte: reg-name / IP-literal / IPv4 and a port (no userinfo: no `@`). */
export const HOST_CHAR = table((b) => isDigit(b) || isLower(b) || isUpper(b) || "-._~!$&'()*+,;=:[]%".includes(String.fromCharCode(b)));

/** A :scheme byte after the first (RFC 3986 §3.1); the first must be a letter. */
export const SCHEME_CHAR = table((b) => isDigit(b) || isLower(b) || isUpper(b) || b === 0x2b || b === 0x2d || b === 0x2e);
