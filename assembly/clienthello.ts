// TLS ClientHello reader for TLS passthrough: finds the SNI host name (RFC 6066 §3) and the ALPN
// list (RFC 7301 §3.1) in the first bytes of a connection without terminating TLS.
//
// Input is the raw byte stream as it arrived: one or more TLS records (RFC 8446 §5.1), possibly
// incomplete, whose handshake fragments carry one ClientHello (RFC 8446 §4.1.2; the TLS 1.0-1.2
// layout is the same, with extensions optional). Every read is checked against `len`; nothing
// allocates; nothing throws. When the hello sits in the first record it is parsed in place;
// when it is fragmented across records the fragments are copied into the caller's scratch
// region first, so result pointers point either into the input or into the scratch region.
//
// Results go to an out-region of CH_OUT_WORDS u32 words (see the CH_OUT_* indices below).

/** Status: the hello and its SNI were found (sni pointer and length are set, length > 0). */
const CH_OK: u32 = 0;
/** Status: not enough bytes yet; out[CH_OUT_NEED] is a lower bound on the total length needed. */
const CH_NEED_MORE: u32 = 1;
/** Status: the first bytes are not a TLS handshake record. */
const CH_NOT_TLS: u32 = 2;
/** Status: a TLS handshake record, but not a well-formed ClientHello (or larger than scratch). */
const CH_MALFORMED: u32 = 3;
/** Status: a well-formed ClientHello without a host_name server name. */
const CH_NO_SNI: u32 = 4;

// Out-region word indices (each a u32); src/wasm/clienthello.ts mirrors them.
const CH_OUT_STATUS: u32 = 0;
const CH_OUT_NEED: u32 = 1;
const CH_OUT_SNI_PTR: u32 = 2;
const CH_OUT_SNI_LEN: u32 = 3;
const CH_OUT_ALPN_PTR: u32 = 4;
const CH_OUT_ALPN_LEN: u32 = 5;
const CH_OUT_VERSION: u32 = 6;
const CH_OUT_HELLO_LEN: u32 = 7;
const CH_OUT_WORDS: u32 = 8;

// TLSPlaintext.length limit (RFC 8446 §5.1); handshake records are never empty.
const MAX_RECORD: u32 = 16384;
const REC_HEADER: u32 = 5;
const HS_HEADER: u32 = 4;
const CONTENT_HANDSHAKE: u32 = 22;
const HS_CLIENT_HELLO: u32 = 1;
const EXT_SERVER_NAME: u32 = 0;
const EXT_ALPN: u32 = 16;
const MAX_HOST_NAME: u32 = 255;

// Bounds-checked reads: `end` is the first byte past the valid region. The debug build asserts
// (the fuzz tests run it); the parser's own checks keep every call in range.
@inline function rd8(p: usize, end: usize): u32 {
  assert(p < end, "clienthello: read past end");
  return <u32>load<u8>(p);
}
@inline function rd16(p: usize, end: usize): u32 {
  assert(p + 2 <= end, "clienthello: read past end");
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}
@inline function rd24(p: usize, end: usize): u32 {
  assert(p + 3 <= end, "clienthello: read past end");
  return (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p + 1) << 8) | <u32>load<u8>(p + 2);
}

function finish(out: usize, status: u32, need: u32): u32 {
  store<u32>(out + (<usize>CH_OUT_STATUS << 2), status);
  store<u32>(out + (<usize>CH_OUT_NEED << 2), need);
  return status;
}

function clearOut(out: usize): void {
  for (let i: u32 = 0; i < CH_OUT_WORDS; i++) store<u32>(out + (<usize>i << 2), 0);
}

/** RFC 6066 says host_name is an ASCII DNS name; anything else cannot be routed and is refused. */
function validHostName(p: usize, n: u32): bool {
  if (n == 0 || n > MAX_HOST_NAME) return false;
  for (let i: u32 = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) ||
      c == 0x2d || c == 0x2e || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** server_name extension body [p, end): ServerNameList (RFC 6066 §3). Returns a status. */
function readServerName(p: usize, end: usize, out: usize): u32 {
  if (end - p < 2) return CH_MALFORMED;
  const listLen = rd16(p, end);
  p += 2;
  if (<usize>listLen != end - p || listLen == 0) return CH_MALFORMED;
  let found = false;
  while (p < end) {
    if (end - p < 3) return CH_MALFORMED;
    const nameType = rd8(p, end);
    const nameLen = rd16(p + 1, end);
    p += 3;
    if (<usize>nameLen > end - p) return CH_MALFORMED;
    if (nameType == 0) {
      // "MUST NOT contain more than one name of the same name_type".
      if (found || !validHostName(p, nameLen)) return CH_MALFORMED;
      found = true;
      store<u32>(out + (<usize>CH_OUT_SNI_PTR << 2), <u32>p);
      store<u32>(out + (<usize>CH_OUT_SNI_LEN << 2), nameLen);
    }
    p += nameLen;
  }
  return CH_OK;
}

/** ALPN extension body [p, end): ProtocolNameList, non-empty names (RFC 7301 §3.1). */
function readAlpn(p: usize, end: usize, out: usize): u32 {
  if (end - p < 2) return CH_MALFORMED;
  const listLen = rd16(p, end);
  p += 2;
  if (<usize>listLen != end - p || listLen < 2) return CH_MALFORMED;
  const start = p;
  while (p < end) {
    const n = rd8(p, end);
    if (n == 0 || <usize>n > end - p - 1) return CH_MALFORMED;
    p += 1 + n;
  }
  store<u32>(out + (<usize>CH_OUT_ALPN_PTR << 2), <u32>start);
  store<u32>(out + (<usize>CH_OUT_ALPN_LEN << 2), listLen);
  return CH_OK;
}

/** Walks the extensions block [p, end) exactly; duplicates of the two we read are malformed. */
function readExtensions(p: usize, end: usize, out: usize): u32 {
  let seenSni = false;
  let seenAlpn = false;
  while (p < end) {
    if (end - p < 4) return CH_MALFORMED;
    const type = rd16(p, end);
    const extLen = rd16(p + 2, end);
    p += 4;
    if (<usize>extLen > end - p) return CH_MALFORMED;
    const extEnd = p + extLen;
    if (type == EXT_SERVER_NAME) {
      if (seenSni || readServerName(p, extEnd, out) != CH_OK) return CH_MALFORMED;
      seenSni = true;
    } else if (type == EXT_ALPN) {
      if (seenAlpn || readAlpn(p, extEnd, out) != CH_OK) return CH_MALFORMED;
      seenAlpn = true;
    }
    p = extEnd;
  }
  return load<u32>(out + (<usize>CH_OUT_SNI_LEN << 2)) > 0 ? CH_OK : CH_NO_SNI;
}

/** ClientHello body [p, p + n) after the 4-byte handshake header (RFC 8446 §4.1.2). */
function readHello(p: usize, n: u32, out: usize): u32 {
  const end = p + n;
  // legacy_version(2) random(32) session_id length(1)
  if (n < 35) return CH_MALFORMED;
  const version = rd16(p, end);
  if ((version >> 8) != 3) return CH_MALFORMED;
  store<u32>(out + (<usize>CH_OUT_VERSION << 2), version);
  p += 34;
  const sidLen = rd8(p, end);
  p += 1;
  if (sidLen > 32 || <usize>sidLen > end - p) return CH_MALFORMED;
  p += sidLen;
  if (end - p < 2) return CH_MALFORMED;
  const csLen = rd16(p, end);
  p += 2;
  if (csLen < 2 || (csLen & 1) != 0 || <usize>csLen > end - p) return CH_MALFORMED;
  p += csLen;
  if (end - p < 1) return CH_MALFORMED;
  const cmLen = rd8(p, end);
  p += 1;
  if (cmLen < 1 || <usize>cmLen > end - p) return CH_MALFORMED;
  p += cmLen;
  // TLS 1.0-1.2 hellos may end here: no extensions, so no SNI.
  if (p == end) return CH_NO_SNI;
  if (end - p < 2) return CH_MALFORMED;
  const extLen = rd16(p, end);
  p += 2;
  if (<usize>extLen != end - p) return CH_MALFORMED;
  return readExtensions(p, end, out);
}

/**
 * Reassembles the handshake message from record fragments into `scratch`, then parses it.
 * Called only when the hello does not sit whole in the first record.
 */
function parseFragmented(ptr: usize, len: u32, scratch: usize, scratchCap: u32, out: usize): u32 {
  const end = ptr + len;
  let pos: u32 = 0;
  let copied: u32 = 0;
  let target: u32 = HS_HEADER;
  let known = false;
  while (true) {
    if (len - pos < REC_HEADER) return finish(out, CH_NEED_MORE, pos + REC_HEADER + (target - copied));
    const type = rd8(ptr + pos, end);
    const major = rd8(ptr + pos + 1, end);
    const recLen = rd16(ptr + pos + 3, end);
    if (type != CONTENT_HANDSHAKE || major != 3) return finish(out, CH_MALFORMED, 0);
    if (recLen == 0 || recLen > MAX_RECORD) return finish(out, CH_MALFORMED, 0);
    const body = pos + REC_HEADER;
    const avail = min(recLen, len - body);
    let used: u32 = 0;
    while (used < avail) {
      const take = min(avail - used, target - copied);
      assert(body + used + take <= len && copied + take <= scratchCap, "clienthello: copy out of range");
      memory.copy(scratch + copied, ptr + body + used, take);
      copied += take;
      used += take;
      if (copied < target) continue;
      if (known) return readHelloAt(scratch, target - HS_HEADER, out);
      const hsType = rd8(scratch, scratch + HS_HEADER);
      const hsLen = rd24(scratch + 1, scratch + HS_HEADER);
      if (hsType != HS_CLIENT_HELLO || hsLen + HS_HEADER > scratchCap) return finish(out, CH_MALFORMED, 0);
      known = true;
      target = HS_HEADER + hsLen;
      if (copied == target) return readHelloAt(scratch, hsLen, out);
    }
    if (avail < recLen) {
      // This record is incomplete: the rest of it, and maybe more records, are needed.
      const missing = target - copied;
      const left = recLen - used;
      const need = missing <= left ? body + used + missing : body + recLen + REC_HEADER + (missing - left);
      return finish(out, CH_NEED_MORE, need);
    }
    pos = body + recLen;
  }
  return finish(out, CH_MALFORMED, 0); // unreachable: the loop returns
}

function readHelloAt(hs: usize, hsLen: u32, out: usize): u32 {
  store<u32>(out + (<usize>CH_OUT_HELLO_LEN << 2), hsLen);
  return finish(out, readHello(hs + HS_HEADER, hsLen, out), 0);
}

/**
 * Parses the start of a TLS connection at [ptr, ptr + len) and writes CH_OUT_WORDS u32 words at
 * `out`; returns the status (also out[CH_OUT_STATUS]). `scratch` (`scratchCap` bytes, not
 * overlapping the input) receives the handshake message when it spans records; a hello longer
 * than `scratchCap - 4` is CH_MALFORMED. SNI/ALPN pointers are absolute addresses into either the
 * input or the scratch region. Called from src/wasm/clienthello.ts once per connection attempt.
 */
export function clienthelloParse(ptr: usize, len: u32, scratch: usize, scratchCap: u32, out: usize): u32 {
  clearOut(out);
  const end = ptr + len;
  if (len == 0) return finish(out, CH_NEED_MORE, REC_HEADER);
  // Reject non-TLS on the first bytes that prove it, so garbage closes without waiting.
  if (rd8(ptr, end) != CONTENT_HANDSHAKE) return finish(out, CH_NOT_TLS, 0);
  if (len >= 2 && rd8(ptr + 1, end) != 3) return finish(out, CH_NOT_TLS, 0);
  if (len >= 3 && rd8(ptr + 2, end) > 4) return finish(out, CH_NOT_TLS, 0);
  if (len < REC_HEADER) return finish(out, CH_NEED_MORE, REC_HEADER + HS_HEADER);
  const recLen = rd16(ptr + 3, end);
  if (recLen == 0 || recLen > MAX_RECORD) return finish(out, CH_MALFORMED, 0);
  if (len < REC_HEADER + HS_HEADER || recLen < HS_HEADER) {
    if (recLen >= HS_HEADER) return finish(out, CH_NEED_MORE, REC_HEADER + HS_HEADER);
    return parseFragmented(ptr, len, scratch, scratchCap, out);
  }
  const hsType = rd8(ptr + REC_HEADER, end);
  const hsLen = rd24(ptr + REC_HEADER + 1, end);
  if (hsType != HS_CLIENT_HELLO) return finish(out, CH_MALFORMED, 0);
  if (hsLen + HS_HEADER > recLen) {
    if (hsLen + HS_HEADER > scratchCap) return finish(out, CH_MALFORMED, 0);
    return parseFragmented(ptr, len, scratch, scratchCap, out);
  }
  // Fast path: the whole hello is inside the first record; parse it in place.
  const total = REC_HEADER + HS_HEADER + hsLen;
  if (len < total) return finish(out, CH_NEED_MORE, total);
  return readHelloAt(ptr + REC_HEADER, hsLen, out);
}

/** Reserves `bytes` of linear memory once (input, scratch and out regions); never freed. */
export function clienthelloReserve(bytes: u32): usize {
  return heap.alloc(<usize>bytes);
}
