/**
 * Re-serialising heads for the other side by copying slices of the original head: fields that are
 * kept are copied as contiguous runs of raw bytes (original case, order and duplicates such as
 * several Set-Cookie preserved), dropped fields are skipped, new fields are appended.
 */
import { FIELD_STRIDE, H, type HttpHead, type RequestHead, type ResponseHead } from "./head.ts";

const bit = (...ids: number[]) => ids.reduce((m, id) => m | (1 << id), 0);

/** Hop-by-hop fields (RFC 9110 §7.6.1), never forwarded as received. */
export const HOP_BY_HOP = bit(H.CONNECTION, H.KEEP_ALIVE, H.PROXY_CONNECTION, H.TE, H.TRANSFER_ENCODING, H.UPGRADE, H.NAMED_IN_CONNECTION);
/** The client-identity fields the proxy writes itself unless the client is a trusted proxy. */
export const FORWARDED_FIELDS = bit(H.X_FORWARDED_FOR, H.X_FORWARDED_PROTO, H.X_FORWARDED_HOST);

/**
 * The head to send upstream: request line (with `target` instead of the received one when given;
 * always HTTP/1.1), every field whose id bit is not in `dropMask`, then `extra` (complete field
 * lines, latin1, each ending in CRLF) and the empty line.
 */
export function buildRequestHead(req: RequestHead, dropMask: number, extra: string, target: string | null): Buffer {
  const buf = req.buf;
  const line = target === null && req.versionMinor === 1 ? "" : `${req.method} ${target ?? req.target} HTTP/1.1\r\n`;
  const lineLen = line === "" ? req.fieldsStart : line.length;
  const out = Buffer.allocUnsafe(lineLen + buf.length - req.fieldsStart + extra.length);
  let o = line === "" ? buf.copy(out, 0, 0, req.fieldsStart) : out.write(line, 0, "latin1");
  o = copyFields(req, dropMask, out, o);
  if (extra.length > 0) o += out.write(extra, o, "latin1");
  out[o++] = 13;
  out[o++] = 10;
  return out.subarray(0, o);
}

/**
 * The head to send to the client: the received one unchanged when nothing needs changing (the
 * common case, zero copies), else with an HTTP/1.1 status line, fields in `dropMask` removed and
 * `extra` field lines appended.
 */
export function buildResponseHead(res: ResponseHead, dropMask: number, extra: string): Buffer {
  const buf = res.buf;
  if (res.versionMinor === 1 && (res.seen & dropMask) === 0 && extra.length === 0) return buf;
  const out = Buffer.allocUnsafe(buf.length + extra.length);
  out.write("HTTP/1.1", 0, "latin1");
  let o = 8 + buf.copy(out, 8, 8, res.fieldsStart);
  o = copyFields(res, dropMask, out, o);
  if (extra.length > 0) o += out.write(extra, o, "latin1");
  out[o++] = 13;
  out[o++] = 10;
  return out.subarray(0, o);
}

/** Copies kept field lines (with their CRLF) in runs; returns the new output offset. */
function copyFields(head: HttpHead, dropMask: number, out: Buffer, o: number): number {
  const f = head.fields, buf = head.buf, n = head.count, end = buf.length - 2;
  if ((head.seen & dropMask) === 0) return o + buf.copy(out, o, head.fieldsStart, end);
  let runStart = -1;
  for (let i = 0; i < n; i++) {
    const s = f[i * FIELD_STRIDE]!;
    const drop = (dropMask & (1 << f[i * FIELD_STRIDE + 4]!)) !== 0;
    if (drop && runStart >= 0) {
      o += buf.copy(out, o, runStart, s);
      runStart = -1;
    } else if (!drop && runStart < 0) runStart = s;
  }
  if (runStart >= 0) o += buf.copy(out, o, runStart, end);
  return o;
}

const CRLF = Buffer.from("\r\n", "latin1");
/** The last chunk with no trailers. */
export const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");

/**
 * `data` framed as one chunk. Small chunks are copied into one buffer (one write, one syscall);
 * large ones go as three views so the payload is not copied.
 */
export function encodeChunk(data: Uint8Array): Buffer[] | Buffer {
  const size = data.length.toString(16);
  if (data.length > 16 * 1024) return [Buffer.from(`${size}\r\n`, "latin1"), data as Buffer, CRLF];
  const out = Buffer.allocUnsafe(size.length + data.length + 4);
  let o = out.write(size, 0, "latin1");
  out[o++] = 13;
  out[o++] = 10;
  out.set(data, o);
  o += data.length;
  out[o++] = 13;
  out[o] = 10;
  return out;
}

/** The last chunk followed by `trailers` (field lines with CRLF) and the empty line. */
export function lastChunk(trailers: Buffer | null): Buffer {
  return trailers === null ? LAST_CHUNK : Buffer.concat([Buffer.from("0\r\n", "latin1"), trailers, CRLF]);
}
