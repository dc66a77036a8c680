/**
 * One compressor (node:zlib's gzip, brotli or zstd) driven synchronously, chunk by chunk, through
 * its native handle's `writeSync` (the call Node's own sync helpers make; Bun implements it the
 * same way): the engine keeps its state between calls, so a body is compressed as a stream on the
 * event loop with no thread hop and no promise, and its output is read right after each call.
 * The Transform around the handle is never written to. gzip engines are reset and kept for reuse
 * (a few per level), so a response does not pay for building the coder's tables (~70 µs); brotli
 * and zstd ones are not: Bun's reset of those handles drops their parameters (measured: a reset
 * brotli engine compresses at quality 11, 40× slower than the quality 4 it was made with).
 */
import zlib from "node:zlib";
import { CODINGS, type Coding } from "./policy.ts";

const C = zlib.constants;
/** brotli and zstd windows of 512 KiB (nginx's brotli_window): ~0.5 / 0.8 MB per live stream, gzip ~0.23. */
const WINDOW_LOG = 19;
/** Idle engines kept per coding and level. */
const MAX_IDLE = 8;

/** The native handle's surface this file uses (not in node:zlib's types). */
interface NativeHandle {
  writeSync(flag: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void;
  reset(): void;
}
interface HandleOwner {
  _handle: NativeHandle;
  _writeState: Uint32Array;
  /** Set synchronously when the handle reports an error (the 'error' event comes later). */
  readonly destroyed: boolean;
  close(): void;
  on(event: "error", fn: (e: Error) => void): unknown;
}

export class ZlibEngine {
  private readonly owner: HandleOwner;
  private readonly handle: NativeHandle;
  /** After `run`: [output space left, input left]. */
  readonly state: Uint32Array;
  /** Ends what was written so far as a decodable unit (zlib SYNC_FLUSH and its peers). */
  readonly flushFlag: number;
  readonly finishFlag: number;
  /** The handle reported an error: the engine is not reused. */
  get failed(): boolean {
    return this.owner.destroyed;
  }

  constructor(readonly coding: Coding, readonly level: number) {
    this.owner = create(coding, level) as unknown as HandleOwner;
    // the error is thrown by `run`; the event, emitted later, must not reach the process
    this.owner.on("error", ignoreError);
    this.handle = this.owner._handle;
    this.state = this.owner._writeState;
    this.flushFlag = coding === "gzip" ? C.Z_SYNC_FLUSH : coding === "br" ? C.BROTLI_OPERATION_FLUSH : C.ZSTD_e_flush;
    this.finishFlag = coding === "gzip" ? C.Z_FINISH : coding === "br" ? C.BROTLI_OPERATION_FINISH : C.ZSTD_e_end;
  }

  /** Compresses input[inOff, +inLen) into out[outOff, +outLen); see `state` for what is left. */
  run(flag: number, input: Uint8Array, inOff: number, inLen: number, out: Uint8Array, outOff: number, outLen: number): void {
    this.handle.writeSync(flag, input, inOff, inLen, out, outOff, outLen);
    if (this.owner.destroyed) throw new Error(`${this.coding} compressor failed`);
  }

  reset(): void {
    this.handle.reset();
  }

  close(): void {
    this.owner.close();
  }
}

function ignoreError(): void {}

function create(coding: Coding, level: number): zlib.Gzip | zlib.BrotliCompress | zlib.ZstdCompress {
  if (coding === "gzip") return zlib.createGzip({ level });
  if (coding === "br") return zlib.createBrotliCompress({ params: { [C.BROTLI_PARAM_QUALITY]: level, [C.BROTLI_PARAM_LGWIN]: WINDOW_LOG } });
  return zlib.createZstdCompress({ params: { [C.ZSTD_c_compressionLevel]: level, [C.ZSTD_c_windowLog]: WINDOW_LOG } });
}

/** Idle engines by coding index * 32 + level. */
const idle: ZlibEngine[][] = [];

/** An engine for `coding` at `level`: a reset idle one when there is one. */
export function takeEngine(coding: Coding, level: number): ZlibEngine {
  return idle[CODINGS.indexOf(coding) * 32 + level]?.pop() ?? new ZlibEngine(coding, level);
}

/** Gives `e` back after a stream ended or was abandoned: reset and kept, or closed when enough are kept. */
export function giveBack(e: ZlibEngine): void {
  const slot = CODINGS.indexOf(e.coding) * 32 + e.level;
  const list = (idle[slot] ??= []);
  if (e.coding !== "gzip" || e.failed || list.length >= MAX_IDLE) return e.close();
  e.reset();
  list.push(e);
}
