/**
 * HTTP/2 field sections as the engine's heads: a HeaderList is laid out like an HTTP/1.1 head
 * (same offsets, ids and `seen` mask over its own buffer), so a RequestHead or ResponseHead is
 * built over it without copying, marked unframed (its fields are written one by one when it goes
 * to an HTTP/1.1 peer). Pseudo-headers become the request line's parts and the status.
 */
import { BodyKind, FIELD_STRIDE, H, RequestHead, ResponseHead, equalsLower } from "../http/index.ts";
import type { HeaderList } from "../h2/index.ts";

/**
 * The request `list` opened a stream with (validated by the codec), in `into` (a head whose
 * request is over, reused) or a new head. A body of no declared length is marked Chunked: that is
 * how it must travel to an HTTP/1.1 backend.
 */
export function requestHeadOf(list: HeaderList, endStream: boolean, into: RequestHead | null = null): RequestHead {
  const head = into === null ? new RequestHead(list.buf, 0, 0, list.fields, list.count, 0) : into.reuse(list.buf, 0, 0, list.fields, list.count, 0);
  head.framed = false;
  head.seen = list.seen;
  head.method = list.method;
  head.isConnect = list.method === "CONNECT" && list.protocol === "";
  head.target = head.isConnect ? list.authority : list.path;
  head.pathStart = head.isConnect || list.path === "*" ? -1 : 0;
  if (list.authorityStart >= 0) head.setHost(list.authorityStart, list.authorityEnd, list.authority);
  else if (list.has(H.HOST)) {
    const o = fieldIndex(list, H.HOST) * FIELD_STRIDE;
    head.hostStart = list.fields[o + 2]!;
    head.hostEnd = list.fields[o + 3]!;
  }
  head.contentLength = list.contentLength;
  head.bodyKind = bodyKind(endStream, list.contentLength);
  if (list.protocol !== "") {
    // extended CONNECT (RFC 8441): a GET that upgrades, its stream then a tunnel (no body before that)
    head.method = "GET";
    head.protocol = list.protocol;
    head.upgrade = true;
    head.bodyKind = BodyKind.None;
  }
  if (list.has(H.EXPECT)) {
    const o = fieldIndex(list, H.EXPECT) * FIELD_STRIDE, f = list.fields;
    head.expectContinue = f[o + 3]! - f[o + 2]! === 12 && equalsLower(list.buf, f[o + 2]!, "100-continue");
  }
  return head;
}

/**
 * A backend's response head from an HTTP/2 stream. `headRequest`: it answers HEAD, whose
 * content-length says nothing about DATA.
 */
export function responseHeadOf(list: HeaderList, endStream: boolean, headRequest: boolean): ResponseHead {
  const head = new ResponseHead(list.buf, 0, 0, list.fields, list.count, 0);
  head.framed = false;
  head.seen = list.seen;
  head.status = list.status;
  head.contentLength = list.contentLength;
  const s = list.status;
  head.bodyKind = headRequest || s < 200 || s === 204 || s === 304 ? BodyKind.None : bodyKind(endStream, list.contentLength);
  return head;
}

/** A message that ends with its head has no body; one of declared length is delimited by it. */
function bodyKind(endStream: boolean, contentLength: number): BodyKind {
  if (endStream || contentLength === 0) return BodyKind.None;
  return contentLength > 0 ? BodyKind.Length : BodyKind.Chunked;
}

function fieldIndex(list: HeaderList, id: number): number {
  for (let i = 0; i < list.count; i++) if (list.fields[i * FIELD_STRIDE + 4] === id) return i;
  return -1;
}
