/**
 * What the heads of one parser take in turn, so a keep-alive connection allocates neither a head
 * nor an offset table per message (see MessageParser.reuseHeads): one head object and one table of
 * field offsets, both overwritten by the parser's next head.
 */
import { FIELD_STRIDE, RequestHead, ResponseHead } from "./head.ts";

/** What a let-go head points at: nothing of a packet. */
const NO_BYTES = Buffer.alloc(0);

/** The table is grown in steps of this many fields, so a head one field longer than the last does not reallocate. */
const STEP = 8 * FIELD_STRIDE;

export class HeadStore {
  private table: Int32Array | null = null;
  private request: RequestHead | null = null;
  private response: ResponseHead | null = null;

  /** scratch[0, n) in the store's table (grown when short), which is returned. */
  fields(scratch: Int32Array, n: number): Int32Array {
    let t = this.table;
    if (t === null || t.length < n) this.table = t = new Int32Array(Math.ceil(Math.max(n, 1) / STEP) * STEP);
    for (let i = 0; i < n; i++) t[i] = scratch[i]!;
    return t;
  }

  requestHead(buf: Buffer, start: number, end: number, fields: Int32Array, count: number, fieldsStart: number): RequestHead {
    if (this.request === null) return (this.request = new RequestHead(buf, start, end, fields, count, fieldsStart));
    return this.request.reuse(buf, start, end, fields, count, fieldsStart);
  }

  /**
   * Lets go of the packet the last heads were parsed from (the owner is done with them). The
   * store lives as long as its connection, so it is old in the GC's eyes: a packet it still points
   * at survives every young collection and waits for a full one, and a relayed 64 KiB response's
   * packet per connection so became the heap's growth, page faults and the latency tail.
   */
  letGo(): void {
    if (this.request !== null) this.request.buf = NO_BYTES;
    if (this.response !== null) this.response.buf = NO_BYTES;
  }

  responseHead(buf: Buffer, start: number, end: number, fields: Int32Array, count: number, fieldsStart: number): ResponseHead {
    if (this.response === null) return (this.response = new ResponseHead(buf, start, end, fields, count, fieldsStart));
    return this.response.reuse(buf, start, end, fields, count, fieldsStart);
  }
}

/** A new request head, or the store's made afresh, with the `n` offsets scanned into `scratch`. */
export function newRequestHead(
  store: HeadStore | null, scratch: Int32Array, n: number, buf: Buffer, start: number, end: number, count: number, fieldsStart: number,
): RequestHead {
  if (store === null) return new RequestHead(buf, start, end, scratch.slice(0, n), count, fieldsStart);
  return store.requestHead(buf, start, end, store.fields(scratch, n), count, fieldsStart);
}

/** As newRequestHead, for a response. */
export function newResponseHead(
  store: HeadStore | null, scratch: Int32Array, n: number, buf: Buffer, start: number, end: number, count: number, fieldsStart: number,
): ResponseHead {
  if (store === null) return new ResponseHead(buf, start, end, scratch.slice(0, n), count, fieldsStart);
  return store.responseHead(buf, start, end, store.fields(scratch, n), count, fieldsStart);
}
