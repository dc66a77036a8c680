/** Adds field pairs to the header block being encoded, the way HTTP/2 wants them (RFC 9113 §8.2). */
import type { HpackEncoder } from "./hpack/index.ts";

/** Connection-specific fields have no meaning in HTTP/2 and make a message malformed (§8.2.2). */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** name, value, name, value...: names lower-cased, connection-specific fields left out. */
export function encodeFields(enc: HpackEncoder, fields: readonly string[]): void {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    enc.field(name, fields[i + 1]!);
  }
}
