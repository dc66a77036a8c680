/**
 * The HPACK decoder (RFC 7541): turns a complete header block into a DecodedBlock, keeping the
 * dynamic table in step with the peer's encoder. Huffman strings are decoded by the WASM kernel
 * straight into the block's buffer. A list larger than `maxListSize` is decoded to the end (the
 * table must stay right for the next block) but its fields past the limit are not kept.
 * Any malformed representation throws a connection error of type COMPRESSION_ERROR (RFC 9113 §4.3).
 */
import { HUFFMAN_ERR_EOS, huffmanDecodeInto, huffmanMaxDecoded } from "../../wasm/index.ts";
import { ErrorCode } from "../constants.ts";
import { connectionError, type H2Error } from "../h2-error.ts";
import { sharedBlock, type DecodedBlock } from "./decoded-block.ts";
import { DecoderTable, ENTRY_OVERHEAD } from "./decoder-table.ts";
import { decodeInt, type IntResult } from "./integer.ts";
import { STATIC_BYTES, STATIC_COUNT, STATIC_OFFSETS } from "./static-table.ts";

function compression(reason: string): H2Error {
  return connectionError(ErrorCode.COMPRESSION_ERROR, reason);
}

/** Copies src[s, e) to dst at w: short runs in JS, as a native call costs more than their bytes. */
function copyShort(src: Buffer, s: number, e: number, dst: Buffer, w: number): void {
  if (e - s > 32) {
    src.copy(dst, w, s, e);
    return;
  }
  for (let i = s; i < e; i++) dst[w++] = src[i]!;
}

export class HpackDecoder {
  readonly table: DecoderTable;
  private readonly int: IntResult = { value: 0, next: 0 };
  /** Length of the string readString last decoded. */
  private strLen = 0;

  /** `tableCapacity` is the SETTINGS_HEADER_TABLE_SIZE this side advertised. */
  constructor(tableCapacity: number, public maxListSize: number) {
    this.table = new DecoderTable(tableCapacity);
  }

  /** Decodes src[pos, end), one complete header block. The result is valid until the next decode. */
  decode(src: Buffer, pos: number, end: number): DecodedBlock {
    const out = sharedBlock;
    out.reset();
    let w = 0;
    let fields = false;
    while (pos < end) {
      const b = src[pos]!;
      if ((b & 0xe0) === 0x20) {
        // RFC 7541 §4.2: size updates come first in a block, before any field
        if (fields) throw compression("LATE_TABLE_SIZE_UPDATE");
        pos = this.sizeUpdate(src, pos, end);
        continue;
      }
      fields = true;
      if ((b & 0x80) !== 0) {
        pos = this.integer(src, pos, end, 7);
        w = this.indexed(this.int.value, w, out);
      } else if ((b & 0x40) !== 0) {
        pos = this.literal(src, pos, end, 6, w, out, true, false);
        w = this.kept(out, w);
      } else {
        pos = this.literal(src, pos, end, 4, w, out, false, (b & 0x10) !== 0);
        w = this.kept(out, w);
      }
    }
    return out;
  }

  private integer(src: Buffer, pos: number, end: number, prefix: number): number {
    decodeInt(src, pos, end, prefix, this.int);
    if (this.int.next < 0) throw compression("BAD_INTEGER");
    return this.int.next;
  }

  private sizeUpdate(src: Buffer, pos: number, end: number): number {
    const next = this.integer(src, pos, end, 5);
    if (this.int.value > this.table.capacity) throw compression("TABLE_SIZE_ABOVE_SETTING");
    this.table.setMaxSize(this.int.value);
    return next;
  }

  /** An indexed field (RFC 7541 §6.1): copies name and value from the static or dynamic table. */
  private indexed(index: number, w: number, out: DecodedBlock): number {
    if (index === 0) throw compression("INDEX_ZERO");
    let nl: number, vl: number;
    if (index <= STATIC_COUNT) {
      const o = STATIC_OFFSETS, i = 4 * index;
      nl = o[i + 1]! - o[i]!;
      vl = o[i + 3]! - o[i + 2]!;
      if (this.account(out, nl, vl)) return w;
      out.ensure(w + nl + vl);
      copyShort(STATIC_BYTES, o[i]!, o[i + 3]!, out.buf, w);
    } else {
      const d = index - STATIC_COUNT;
      if (d > this.table.count) throw compression("INDEX_OUT_OF_RANGE");
      nl = this.table.nameLength(d);
      vl = this.table.valueLength(d);
      if (this.account(out, nl, vl)) return w;
      out.ensure(w + nl + vl);
      this.table.copy(d, true, out.buf, w);
    }
    out.push(w, w + nl, w + nl, w + nl + vl, false);
    return w + nl + vl;
  }

  /** Adds a field to the list size; true when the list is (now) past the limit, so it is not kept. */
  private account(out: DecodedBlock, nl: number, vl: number): boolean {
    out.listSize += nl + vl + ENTRY_OVERHEAD;
    if (out.listSize > this.maxListSize) out.oversized = true;
    return out.oversized;
  }

  /**
   * A literal field (RFC 7541 §6.2): name by index or as a string, then the value string, both
   * written at w. Adds it to the table when `index`. The field's offsets are left in `lit*`.
   */
  private literal(src: Buffer, pos: number, end: number, prefix: number, w: number, out: DecodedBlock, index: boolean, sensitive: boolean): number {
    pos = this.integer(src, pos, end, prefix);
    const nameIndex = this.int.value;
    const ns = w;
    if (nameIndex === 0) {
      pos = this.readString(src, pos, end, out, w);
      w += this.strLen;
    } else {
      w = this.indexedName(nameIndex, out, w);
    }
    const ne = w;
    pos = this.readString(src, pos, end, out, w);
    const ve = w + this.strLen;
    if (index) this.table.insert(out.buf, ns, ne - ns, ne, ve - ne);
    this.litNs = ns;
    this.litNe = ne;
    this.litVe = ve;
    this.litSensitive = sensitive;
    return pos;
  }

  private litNs = 0;
  private litNe = 0;
  private litVe = 0;
  private litSensitive = false;

  /** Keeps the literal just read when the list is within its limit; returns the next write offset. */
  private kept(out: DecodedBlock, w: number): number {
    if (this.account(out, this.litNe - this.litNs, this.litVe - this.litNe)) return w;
    out.push(this.litNs, this.litNe, this.litNe, this.litVe, this.litSensitive);
    return this.litVe;
  }

  private indexedName(index: number, out: DecodedBlock, w: number): number {
    if (index <= STATIC_COUNT) {
      const o = STATIC_OFFSETS, i = 4 * index, nl = o[i + 1]! - o[i]!;
      out.ensure(w + nl);
      copyShort(STATIC_BYTES, o[i]!, o[i + 1]!, out.buf, w);
      return w + nl;
    }
    const d = index - STATIC_COUNT;
    if (d > this.table.count) throw compression("INDEX_OUT_OF_RANGE");
    const nl = this.table.nameLength(d);
    out.ensure(w + nl);
    this.table.copy(d, false, out.buf, w);
    return w + nl;
  }

  /** A string literal (RFC 7541 §5.2) decoded to out.buf at w; its length is left in strLen. */
  private readString(src: Buffer, pos: number, end: number, out: DecodedBlock, w: number): number {
    if (pos >= end) throw compression("TRUNCATED_STRING");
    const huffman = (src[pos]! & 0x80) !== 0;
    pos = this.integer(src, pos, end, 7);
    const len = this.int.value;
    if (len > end - pos) throw compression("TRUNCATED_STRING");
    if (!huffman) {
      out.ensure(w + len);
      copyShort(src, pos, pos + len, out.buf, w);
      this.strLen = len;
      return pos + len;
    }
    out.ensure(w + huffmanMaxDecoded(len));
    const n = huffmanDecodeInto(src, pos, pos + len, out.buf, w);
    if (n < 0) throw compression(n === HUFFMAN_ERR_EOS ? "HUFFMAN_EOS" : "HUFFMAN_PADDING");
    this.strLen = n;
    return pos + len;
  }
}
