/** Name-based field removal for the hooks' dropRequestFields / dropResponseFields. */
import { FIELD_STRIDE, H, type HttpHead } from "../http/index.ts";

/** Id given to fields a hook asked to drop; its bit is in DROPPED_MASK (far above the codec's H ids). */
const DROPPED = 30;
export const DROPPED_MASK = 1 << DROPPED;

/**
 * Marks the fields of `head` named in `names` (any case) as dropped. Content-Length and
 * Transfer-Encoding are never dropped this way: they carry the framing the engine relies on.
 */
export function markDropped(head: HttpHead, names: readonly string[] | null): void {
  if (names === null || names.length === 0) return;
  const lower = names.map((n) => n.toLowerCase());
  const f = head.fields;
  for (let i = 0; i < head.count; i++) {
    const o = i * FIELD_STRIDE, id = f[o + 4]!;
    if (id === H.CONTENT_LENGTH || id === H.TRANSFER_ENCODING) continue;
    const len = f[o + 1]! - f[o]!;
    for (const n of lower) {
      if (n.length === len && head.buf.toString("latin1", f[o]!, f[o + 1]!).toLowerCase() === n) {
        f[o + 4] = DROPPED;
        head.seen |= DROPPED_MASK;
        break;
      }
    }
  }
}

/** Marks field `i` of `head` as dropped, whatever its id (the engine's own edits, e.g. compression). */
export function dropFieldAt(head: HttpHead, i: number): void {
  head.fields[i * FIELD_STRIDE + 4] = DROPPED;
  head.seen |= DROPPED_MASK;
}
