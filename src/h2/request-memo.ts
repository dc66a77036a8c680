/**
 * The last request header block a client sent that left the decoder's table unchanged (every field
 * indexed or not indexed), kept as its bytes and the validated list they gave. Clients repeat
 * their blocks (a gRPC stub calling one method, an API poller, a load generator): the same bytes
 * against the same table decode to the same fields, so the next equal block is one compare and a
 * copy of the list instead of a decode and a check of every field. Blocks that never repeat (a
 * browser's paths) are kept ever more rarely, so they cost next to nothing.
 */
import { FIELD_STRIDE } from "../http/index.ts";
import { HeaderList } from "./header-list.ts";
import { MemoBackoff } from "./memo-backoff.ts";

/** Longer blocks are not kept. */
const MAX_BLOCK = 256;
const EMPTY = Buffer.alloc(0);
const NO_FIELDS = new Int32Array(0);

export class RequestMemo {
  private raw: Buffer | null = null;
  private rawLen = 0;
  private readonly list = new HeaderList(EMPTY, NO_FIELDS, 0);
  /** Bytes of list.buf its offsets reach. */
  private bytes = 0;
  /** Its version is the decoder table version the block was decoded against (and left). */
  private readonly kept = new MemoBackoff();

  /** True when b[s, e) is the kept block and `version` the table's then. */
  matches(version: number, b: Buffer, s: number, e: number): boolean {
    if (version !== this.kept.version || e - s !== this.rawLen) return false;
    const raw = this.raw!;
    for (let i = 0; i < this.rawLen; i++) if (b[s + i] !== raw[i]) return false;
    return (this.kept.hit = true);
  }

  /** The kept list, copied into `into`. */
  replay(into: HeaderList): HeaderList {
    into.copyFrom(this.list, this.bytes);
    return into;
  }

  /** Keeps b[s, e) and the list it was validated into (before anything else reads or edits the list). */
  keep(version: number, b: Buffer, s: number, e: number, list: HeaderList): void {
    if (!this.kept.admit()) return;
    if (e - s > MAX_BLOCK) return;
    const raw = (this.raw ??= Buffer.allocUnsafe(MAX_BLOCK));
    b.copy(raw, 0, s, e);
    this.rawLen = e - s;
    let bytes = Math.max(0, list.authorityEnd);
    const f = list.fields;
    for (let i = 0; i < list.count * FIELD_STRIDE; i += FIELD_STRIDE) bytes = Math.max(bytes, f[i + 1]!, f[i + 3]!);
    this.bytes = bytes;
    this.list.copyFrom(list, bytes);
    this.kept.version = version;
  }
}
