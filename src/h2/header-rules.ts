/**
 * Turns a decoded field block into a HeaderList, enforcing HTTP/2's message rules (RFC 9113 §8.1.1,
 * §8.2, §8.3): lower-case names, valid values, pseudo-headers first, known, once each, and only
 * those of the message kind, no connection-specific fields, TE only "trailers", one content-length.
 * A block that breaks one is malformed: the caller resets the stream with PROTOCOL_ERROR.
 */
import { FIELD_STRIDE, H } from "../http/index.ts";
import { HOST_CHAR, NAME_CHAR, PATH_CHAR, SCHEME_CHAR, TCHAR, VALUE_CHAR } from "./chars.ts";
import { HeaderList } from "./header-list.ts";
import type { DecodedBlock } from "./hpack/index.ts";
import { fieldId } from "./field-id.ts";
import { internValue } from "./hpack/intern.ts";

export type SectionKind = "request" | "response" | "trailers";

/** Why a field section is malformed: stable strings for logs and counters. */
export type MalformedReason =
  | "UPPERCASE_NAME" | "BAD_NAME" | "BAD_VALUE" | "PSEUDO_AFTER_FIELD" | "UNKNOWN_PSEUDO" | "DUPLICATE_PSEUDO"
  | "MISSING_PSEUDO" | "BAD_METHOD" | "BAD_SCHEME" | "BAD_PATH" | "BAD_AUTHORITY" | "BAD_HOST" | "HOST_MISMATCH"
  | "CONNECTION_SPECIFIC" | "BAD_TE" | "BAD_CONTENT_LENGTH" | "BAD_STATUS" | "PSEUDO_IN_TRAILERS";

const CONNECTION_SPECIFIC =
  (1 << H.CONNECTION) | (1 << H.KEEP_ALIVE) | (1 << H.PROXY_CONNECTION) | (1 << H.TRANSFER_ENCODING) | (1 << H.UPGRADE);

/** Pseudo-header ids, by which a section records what it has seen. */
const enum P { METHOD = 1, SCHEME = 2, PATH = 4, AUTHORITY = 8, PROTOCOL = 16, STATUS = 32 }

function is(b: Buffer, s: number, len: number, name: string): boolean {
  if (len !== name.length) return false;
  for (let j = 1; j < len; j++) if (b[s + j] !== name.charCodeAt(j)) return false;
  return true;
}

/** The pseudo-header named b[s, s + len) (its first byte is ':'), or 0 for an unknown one. */
function pseudoId(b: Buffer, s: number, len: number): number {
  const c = b[s + 1], c2 = b[s + 2];
  if (c === 0x6d) return is(b, s, len, ":method") ? P.METHOD : 0;
  if (c === 0x70 && c2 === 0x61) return is(b, s, len, ":path") ? P.PATH : 0;
  if (c === 0x70) return is(b, s, len, ":protocol") ? P.PROTOCOL : 0;
  if (c === 0x61) return is(b, s, len, ":authority") ? P.AUTHORITY : 0;
  if (c === 0x73 && c2 === 0x63) return is(b, s, len, ":scheme") ? P.SCHEME : 0;
  if (c === 0x73) return is(b, s, len, ":status") ? P.STATUS : 0;
  return 0;
}

const NO_FIELDS = new Int32Array(0);

/**
 * Validates `block` as a `kind` section and copies it into a HeaderList (`into`, reused with its
 * buffers, or a new one), or returns why it is malformed. `extendedConnect`: this side advertised
 * SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441).
 */
export function buildSection(block: DecodedBlock, kind: SectionKind, extendedConnect = false, into?: HeaderList): HeaderList | MalformedReason {
  const b = block.buf, o = block.offs, n = block.count;
  const list = into ?? new HeaderList(b, NO_FIELDS, 0);
  list.reset(b, into === undefined ? n : Math.max(n, 16));
  const fields = list.fields;
  let count = 0, pseudo = 0, end = 0;
  for (let i = 0; i < n; i++) {
    const ns = o[4 * i]!, ne = o[4 * i + 1]!, vs = o[4 * i + 2]!, ve = o[4 * i + 3]!;
    if (ve > end) end = ve;
    if (ne === ns) return "BAD_NAME";
    const bad = checkValue(b, vs, ve);
    if (b[ns] === 0x3a) {
      if (kind === "trailers") return "PSEUDO_IN_TRAILERS";
      if (count > 0) return "PSEUDO_AFTER_FIELD";
      const p = pseudoId(b, ns, ne - ns);
      const allowed = kind === "response" ? P.STATUS : P.METHOD | P.SCHEME | P.PATH | P.AUTHORITY | (extendedConnect ? P.PROTOCOL : 0);
      if ((p & allowed) === 0) return "UNKNOWN_PSEUDO";
      if ((pseudo & p) !== 0) return "DUPLICATE_PSEUDO";
      if (bad) return "BAD_VALUE";
      pseudo |= p;
      setPseudo(list, p, p === P.AUTHORITY ? internValue(b, vs, ve) : pseudoValue(b, vs, ve));
      if (p === P.AUTHORITY) {
        list.authorityStart = vs;
        list.authorityEnd = ve;
      }
      continue;
    }
    const nameBad = checkName(b, ns, ne);
    if (nameBad !== null) return nameBad;
    if (bad) return "BAD_VALUE";
    const id = fieldId(b, ns, ne - ns);
    const r = checkField(list, id, b, vs, ve);
    if (r !== null) return r;
    const f = count * FIELD_STRIDE;
    fields[f] = ns;
    fields[f + 1] = ne;
    fields[f + 2] = vs;
    fields[f + 3] = ve;
    fields[f + 4] = id;
    list.seen |= 1 << id;
    if (block.sensitive[i] === 1) (list.sensitive ??= new Uint8Array(n))[count] = 1;
    count++;
  }
  list.count = count;
  list.size = block.listSize;
  const r = kind === "request" ? checkRequest(list, pseudo) : kind === "response" ? checkResponse(list, pseudo) : null;
  if (r !== null) return r;
  // the list owns a copy of the decoded bytes: the block's buffer is reused by the next decode
  let own = list.own;
  if (own === null || own.length < end) list.own = own = Buffer.allocUnsafe(into === undefined ? end : Math.max(end, 256));
  b.copy(own, 0, 0, end);
  list.buf = own;
  return list;
}

/** Values seen on most requests, returned without making a string. */
const COMMON = ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "http", "https", "/", "200", "204", "304", "404"];
const COMMON_BYTES = COMMON.map((v) => Buffer.from(v, "latin1"));

function pseudoValue(b: Buffer, vs: number, ve: number): string {
  const len = ve - vs;
  if (len <= 7) {
    for (let i = 0; i < COMMON.length; i++) {
      const c = COMMON_BYTES[i]!;
      if (c.length !== len) continue;
      let j = 0;
      while (j < len && b[vs + j] === c[j]) j++;
      if (j === len) return COMMON[i]!;
    }
  }
  return b.toString("latin1", vs, ve);
}

function setPseudo(list: HeaderList, p: number, v: string): void {
  if (p === P.METHOD) list.method = v;
  else if (p === P.SCHEME) list.scheme = v;
  else if (p === P.PATH) list.path = v;
  else if (p === P.AUTHORITY) list.authority = v;
  else if (p === P.PROTOCOL) list.protocol = v;
  else list.status = /^[1-5][0-9][0-9]$/.test(v) ? Number(v) : -1;
}

/** RFC 9113 §8.2.1: no controls, CR, LF or NUL; no leading or trailing SP or HTAB. */
function checkValue(b: Buffer, vs: number, ve: number): boolean {
  if (ve === vs) return false;
  const first = b[vs]!, last = b[ve - 1]!;
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return true;
  for (let k = vs; k < ve; k++) if (VALUE_CHAR[b[k]!] === 0) return true;
  return false;
}

function checkName(b: Buffer, ns: number, ne: number): MalformedReason | null {
  for (let k = ns; k < ne; k++) {
    const c = b[k]!;
    if (NAME_CHAR[c] === 1) continue;
    return c >= 0x41 && c <= 0x5a ? "UPPERCASE_NAME" : "BAD_NAME";
  }
  return null;
}

/** Rules on single fields: connection-specific ones, TE, content-length. */
function checkField(list: HeaderList, id: number, b: Buffer, vs: number, ve: number): MalformedReason | null {
  if (((1 << id) & CONNECTION_SPECIFIC) !== 0) return "CONNECTION_SPECIFIC";
  if (id === H.TE) return ve - vs === 8 && b.toString("latin1", vs, ve) === "trailers" ? null : "BAD_TE";
  if (id !== H.CONTENT_LENGTH) return null;
  if (ve === vs || ve - vs > 15) return "BAD_CONTENT_LENGTH";
  let v = 0;
  for (let k = vs; k < ve; k++) {
    const d = b[k]! - 0x30;
    if (d < 0 || d > 9) return "BAD_CONTENT_LENGTH";
    v = v * 10 + d;
  }
  if (list.contentLength >= 0 && list.contentLength !== v) return "BAD_CONTENT_LENGTH";
  list.contentLength = v;
  return null;
}

function allIn(s: string, table: Uint8Array, from = 0): boolean {
  for (let i = from; i < s.length; i++) if (table[s.charCodeAt(i)] !== 1) return false;
  return true;
}

/** RFC 9113 §8.3.1 (and RFC 8441 §4 for extended CONNECT). */
function checkRequest(list: HeaderList, pseudo: number): MalformedReason | null {
  if ((pseudo & P.METHOD) === 0) return "MISSING_PSEUDO";
  if (!allIn(list.method, TCHAR) || list.method === "") return "BAD_METHOD";
  const connect = list.method === "CONNECT";
  if (connect && (pseudo & P.PROTOCOL) === 0) {
    if ((pseudo & (P.SCHEME | P.PATH)) !== 0 || (pseudo & P.AUTHORITY) === 0) return "MISSING_PSEUDO";
  } else {
    if ((pseudo & (P.SCHEME | P.PATH)) !== (P.SCHEME | P.PATH)) return "MISSING_PSEUDO";
    if ((pseudo & P.PROTOCOL) !== 0 && (!connect || (pseudo & P.AUTHORITY) === 0)) return "MISSING_PSEUDO";
    const s = list.scheme, c = s.charCodeAt(0) | 0x20;
    if (s === "" || c < 0x61 || c > 0x7a || !allIn(s, SCHEME_CHAR, 1)) return "BAD_SCHEME";
    const path = list.path;
    if (!(path === "*" && list.method === "OPTIONS") && (path.charCodeAt(0) !== 0x2f || !allIn(path, PATH_CHAR))) return "BAD_PATH";
  }
  if ((pseudo & P.AUTHORITY) !== 0 && list.authority !== goodAuthority) {
    if (list.authority === "" || !allIn(list.authority, HOST_CHAR)) return "BAD_AUTHORITY";
    goodAuthority = list.authority; // interned: the site's next requests bring the same string
  }
  return checkHost(list, pseudo);
}

/** The last :authority found valid (a site's requests repeat it): not checked again. */
let goodAuthority = "\0";

/** A Host field must be single and valid, and name what :authority names (RFC 9113 §8.3.1). */
function checkHost(list: HeaderList, pseudo: number): MalformedReason | null {
  if (!list.has(H.HOST)) return null;
  const hosts = list.getAll("host");
  if (hosts.length !== 1 || hosts[0] === "" || !allIn(hosts[0]!, HOST_CHAR)) return "BAD_HOST";
  if ((pseudo & P.AUTHORITY) !== 0 && hosts[0]!.toLowerCase() !== list.authority.toLowerCase()) return "HOST_MISMATCH";
  return null;
}

/** RFC 9113 §8.3.2: exactly :status, three digits; 101 has no place in HTTP/2 (§8.6). */
function checkResponse(list: HeaderList, pseudo: number): MalformedReason | null {
  if ((pseudo & P.STATUS) === 0) return "MISSING_PSEUDO";
  if (list.status < 100 || list.status === 101) return "BAD_STATUS";
  return null;
}
