/**
 * Classifies a lower-case field name into src/http's H ids (the fields the engine acts on), so an
 * HTTP/2 HeaderList carries the same ids and `seen` mask as an HTTP/1.1 head. Compares bytes: no
 * string is made per field.
 */
import { H } from "../http/index.ts";

const NAMES: readonly [string, number][] = [
  ["content-length", H.CONTENT_LENGTH], ["transfer-encoding", H.TRANSFER_ENCODING], ["connection", H.CONNECTION],
  ["keep-alive", H.KEEP_ALIVE], ["proxy-connection", H.PROXY_CONNECTION], ["te", H.TE], ["upgrade", H.UPGRADE],
  ["host", H.HOST], ["expect", H.EXPECT], ["x-forwarded-for", H.X_FORWARDED_FOR], ["x-forwarded-proto", H.X_FORWARDED_PROTO],
  ["x-forwarded-host", H.X_FORWARDED_HOST], ["x-request-id", H.X_REQUEST_ID], ["forwarded", H.FORWARDED], ["trailer", H.TRAILER],
  ["cookie", H.COOKIE], ["x-forwarded-client-cert", H.X_FORWARDED_CLIENT_CERT],
];

/** Candidates by name length. */
const BY_LENGTH: [Uint8Array, number][][] = [];
for (const [name, id] of NAMES) (BY_LENGTH[name.length] ??= []).push([Buffer.from(name, "latin1"), id]);

/** The H id of the lower-case name buf[s, s + len). */
export function fieldId(buf: Buffer, s: number, len: number): number {
  const candidates = BY_LENGTH[len];
  if (candidates === undefined) return H.OTHER;
  for (const [name, id] of candidates) {
    let j = 0;
    while (j < len && buf[s + j] === name[j]) j++;
    if (j === len) return id;
  }
  return H.OTHER;
}
