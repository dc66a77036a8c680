/**
 * Classifies a lower-case field name into src/http's H ids (the fields the engine acts on), so an
 * HTTP/2 HeaderList carries the same ids and `seen` mask as an HTTP/1.1 head.
 */
import { H } from "../http/index.ts";

const IDS: ReadonlyMap<string, number> = new Map([
  ["content-length", H.CONTENT_LENGTH], ["transfer-encoding", H.TRANSFER_ENCODING], ["connection", H.CONNECTION],
  ["keep-alive", H.KEEP_ALIVE], ["proxy-connection", H.PROXY_CONNECTION], ["te", H.TE], ["upgrade", H.UPGRADE],
  ["host", H.HOST], ["expect", H.EXPECT], ["x-forwarded-for", H.X_FORWARDED_FOR], ["x-forwarded-proto", H.X_FORWARDED_PROTO],
  ["x-forwarded-host", H.X_FORWARDED_HOST], ["x-request-id", H.X_REQUEST_ID], ["forwarded", H.FORWARDED], ["trailer", H.TRAILER],
]);

/** Lengths of the names above: any other length is H.OTHER without building a string. */
const LENGTHS = new Uint8Array(32);
for (const k of IDS.keys()) LENGTHS[k.length] = 1;

/** The H id of the lower-case name buf[s, s + len). */
export function fieldId(buf: Buffer, s: number, len: number): number {
  if (len >= 32 || LENGTHS[len] === 0) return H.OTHER;
  return IDS.get(buf.toString("latin1", s, s + len)) ?? H.OTHER;
}
