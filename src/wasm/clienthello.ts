/**
 * Façade over the ClientHello kernel (assembly/clienthello.ts): finds the SNI host name and ALPN
 * list in the first bytes of a TLS connection, for TLS passthrough routing.
 *
 * Regions (input, scratch, out) are reserved once on first use. Input beyond CLIENT_HELLO_CAP
 * bytes is never looked at: a hello that is still incomplete after CLIENT_HELLO_CAP bytes is
 * reported "malformed", so a caller that buffers until "need_more" stops is bounded by the cap.
 */
import { core, memU32, memU8 } from "./core.ts";

/** The most bytes of a connection's start the parser looks at (records + headers included). */
export const CLIENT_HELLO_CAP = 16384;

/** What the start of the connection turned out to be. */
export type ClientHelloStatus = "need_more" | "not_tls" | "malformed" | "no_sni" | "ok";

/** Result of `parseClientHello`; `sni` is lower-cased and set only with status "ok". */
export interface ClientHelloResult {
  status: ClientHelloStatus;
  sni?: string;
  /** ALPN protocol names offered, in order (only when the hello is complete and offers ALPN). */
  alpn?: string[];
  /** With "need_more": a lower bound on the total bytes needed before parsing again. */
  need?: number;
}

/** The kernel's raw answer: absolute pointers into linear memory (for tests and benchmarks). */
export interface ClientHelloRaw {
  status: number;
  need: number;
  sniPtr: number;
  sniLen: number;
  alpnPtr: number;
  alpnLen: number;
  version: number;
  helloLen: number;
  inPtr: number;
  inLen: number;
  scratchPtr: number;
  scratchCap: number;
}

// Mirrors of assembly/clienthello.ts: statuses and out-region word indices.
const STATUS: readonly ClientHelloStatus[] = ["ok", "need_more", "not_tls", "malformed", "no_sni"];
const OUT_WORDS = 8;

type ParseFn = (ptr: number, len: number, scratch: number, scratchCap: number, out: number) => number;

interface Regions {
  parse: ParseFn;
  inPtr: number;
  scratchPtr: number;
  outPtr: number;
}

let regions: Regions | undefined;

function reserve(): Regions {
  if (regions) return regions;
  const ex = core();
  const reserveFn = ex.clienthelloReserve as (bytes: number) => number;
  const base = reserveFn(CLIENT_HELLO_CAP * 2 + OUT_WORDS * 4 + 16);
  // Align the out-region to 4 so it can be read through the u32 view.
  const outPtr = (base + CLIENT_HELLO_CAP * 2 + 3) & ~3;
  regions = { parse: ex.clienthelloParse as ParseFn, inPtr: base, scratchPtr: base + CLIENT_HELLO_CAP, outPtr };
  return regions;
}

/** Copies up to CLIENT_HELLO_CAP bytes of `buf` into linear memory and runs the kernel. */
export function parseClientHelloRaw(buf: Uint8Array): ClientHelloRaw {
  const r = reserve();
  const inLen = Math.min(buf.length, CLIENT_HELLO_CAP);
  memU8().set(inLen === buf.length ? buf : buf.subarray(0, inLen), r.inPtr);
  const status = r.parse(r.inPtr, inLen, r.scratchPtr, CLIENT_HELLO_CAP, r.outPtr);
  const w = memU32();
  const o = r.outPtr >>> 2;
  return {
    status,
    need: w[o + 1]!,
    sniPtr: w[o + 2]!,
    sniLen: w[o + 3]!,
    alpnPtr: w[o + 4]!,
    alpnLen: w[o + 5]!,
    version: w[o + 6]!,
    helloLen: w[o + 7]!,
    inPtr: r.inPtr,
    inLen,
    scratchPtr: r.scratchPtr,
    scratchCap: CLIENT_HELLO_CAP,
  };
}

// A per-char loop: measured 6× faster here than String.fromCharCode(...view) for short names.
function ascii(mem: Uint8Array, ptr: number, len: number, lower: boolean): string {
  let s = "";
  for (let i = 0; i < len; i++) {
    const c = mem[ptr + i]!;
    // The kernel admits only [A-Za-z0-9._-] in a name, so folding A-Z is the whole of lower-casing.
    s += String.fromCharCode(lower && c >= 0x41 && c <= 0x5a ? c | 0x20 : c);
  }
  return s;
}

function alpnList(mem: Uint8Array, ptr: number, len: number): string[] {
  const names: string[] = [];
  const end = ptr + len;
  for (let p = ptr; p < end; ) {
    const n = mem[p]!;
    names.push(ascii(mem, p + 1, n, false));
    p += 1 + n;
  }
  return names;
}

/**
 * Classifies the bytes a TLS connection started with. Feed it everything received so far; on
 * "need_more" call again with more bytes. A hello still incomplete at CLIENT_HELLO_CAP bytes is
 * "malformed". Never throws for any input (the debug build aborts, as an LbError WASM_ABORT,
 * only on a kernel bug: an out-of-range read).
 */
export function parseClientHello(buf: Uint8Array): ClientHelloResult {
  const raw = parseClientHelloRaw(buf);
  const status = STATUS[raw.status] ?? "malformed";
  if (status === "need_more") {
    if (raw.inLen >= CLIENT_HELLO_CAP) return { status: "malformed" };
    return { status, need: raw.need };
  }
  if (status !== "ok" && status !== "no_sni") return { status };
  const mem = memU8();
  const result: ClientHelloResult = { status };
  if (status === "ok") result.sni = ascii(mem, raw.sniPtr, raw.sniLen, true);
  if (raw.alpnLen > 0) result.alpn = alpnList(mem, raw.alpnPtr, raw.alpnLen);
  return result;
}
