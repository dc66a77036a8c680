/** Adds field pairs to the header block being encoded, the way HTTP/2 wants them (RFC 9113 §8.2). */
import { FIELD_STRIDE, type HttpHead } from "../http/index.ts";
import type { ForwardMemo } from "./forward-memo.ts";
import type { HpackEncoder } from "./hpack/index.ts";
import { CONNECTION_SPECIFIC } from "./hpack/field-name.ts";
import { internName } from "./hpack/intern.ts";

/**
 * A head forwarded from another connection: `before`, then the fields of `head` whose id bit is not
 * in `drop` (read from its bytes, never decoded to strings unless the table needs them), then `after`.
 */
export interface ForwardFields {
  before: readonly string[];
  head: HttpHead;
  drop: number;
  after: readonly string[];
}

/**
 * name, value, name, value...: names lower-cased, connection-specific fields left out. A forwarded
 * head is looked up in `memo` (the connection's last one, see forward-memo.ts) and kept there.
 */
export function encodeFields(enc: HpackEncoder, fields: readonly string[] | ForwardFields, memo: ForwardMemo | null = null): void {
  if (!isList(fields)) {
    if (memo === null) return encodeForward(enc, fields);
    if (memo.replay(enc, fields)) return;
    const version = enc.tableVersion, from = enc.at;
    encodeForward(enc, fields);
    if (enc.tableVersion === version) memo.keep(enc, fields, from);
    return;
  }
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = fields[i]!.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name)) continue;
    enc.field(name, fields[i + 1]!);
  }
}

function isList(f: readonly string[] | ForwardFields): f is readonly string[] {
  return Array.isArray(f);
}

function encodeForward(enc: HpackEncoder, f: ForwardFields): void {
  encodeFields(enc, f.before);
  const h = f.head, ids = h.fields, buf = h.buf, drop = f.drop;
  for (let i = 0; i < h.count; i++) {
    const o = i * FIELD_STRIDE;
    if ((drop & (1 << ids[o + 4]!)) !== 0) continue;
    const name = internName(buf, ids[o]!, ids[o + 1]!);
    if (name.connectionSpecific) continue;
    enc.fieldBytes(name, buf, ids[o + 2]!, ids[o + 3]!);
  }
  encodeFields(enc, f.after);
}
