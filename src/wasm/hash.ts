/**
 * Typed façade over the hashing kernels (assembly/hash.ts): xxHash64 for tests, tools and Maglev
 * keys, and the 32-bit 5-tuple flow hash. Inputs are staged in one scratch region of linear memory
 * reserved by the core; results come back without BigInts crossing the boundary (u64 halves).
 */
import { LbError } from "../errors.ts";
import { core, memU32, memU8 } from "./core.ts";
import { encodeTuple, TUPLE_BYTES } from "./tuple.ts";

interface HashExports {
  hashScratch(bytes: number): number;
  xxh64Low(ptr: number, len: number, seedLo: number, seedHi: number): number;
  xxh64High(): number;
  xxh64Batch(dataPtr: number, offsetsPtr: number, count: number, seedLo: number, seedHi: number, outPtr: number): void;
  hashTuple(ptr: number, seed: number): number;
  hashTuples(inPtr: number, count: number, seed: number, outPtr: number): void;
}

const encoder = new TextEncoder();

function exportsOf(): HashExports {
  return core() as unknown as HashExports;
}

/** A scratch region of `bytes` bytes; its pointer, valid until the next call to this module. */
function scratch(bytes: number): number {
  return exportsOf().hashScratch(bytes) >>> 0;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Splits an xxh64 seed into u32 halves; a number must be a safe non-negative integer. */
function seedHalves(seed: number | bigint): [number, number] {
  if (typeof seed === "number") {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new LbError("INVALID_ARGUMENT", `xxh64 seed must be a non-negative safe integer or a bigint, got ${seed}`);
    }
    return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
  }
  const s = BigInt.asUintN(64, seed);
  return [Number(s & 0xffffffffn), Number(s >> 32n)];
}

function checkSeed32(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new LbError("INVALID_ARGUMENT", `flow hash seed must be a u32, got ${seed}`);
  }
  return seed >>> 0;
}

/** xxHash64 of `data` (a string hashes as its UTF-8 bytes) with `seed`, bit-exact with XXH64. */
export function xxh64(data: Uint8Array | string, seed: number | bigint = 0): bigint {
  const bytes = toBytes(data);
  const [lo, hi] = seedHalves(seed);
  const ptr = scratch(bytes.length);
  memU8().set(bytes, ptr);
  const ex = exportsOf();
  const low = ex.xxh64Low(ptr, bytes.length, lo, hi) >>> 0;
  return (BigInt(ex.xxh64High() >>> 0) << 32n) | BigInt(low);
}

/** xxHash64 of every key in one call into the core; result i is the hash of `keys[i]`. */
export function xxh64Batch(keys: readonly (Uint8Array | string)[], seed: number | bigint = 0): BigUint64Array {
  const [lo, hi] = seedHalves(seed);
  const n = keys.length;
  // UTF-8 needs at most 3 bytes per UTF-16 code unit, so this bounds the key bytes.
  let bound = 0;
  for (const k of keys) bound += typeof k === "string" ? k.length * 3 : k.length;
  // Layout in scratch: results (8-byte aligned) | offsets (n + 1 u32) | key bytes.
  const ptr = scratch(n * 8 + (n + 1) * 4 + bound);
  const offsetsPtr = ptr + n * 8;
  const dataPtr = offsetsPtr + (n + 1) * 4;
  const u8 = memU8();
  const u32 = memU32();
  let at = 0;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    u32[(offsetsPtr >>> 2) + i] = at;
    if (typeof k === "string") {
      at += encoder.encodeInto(k, u8.subarray(dataPtr + at, dataPtr + bound)).written;
    } else {
      u8.set(k, dataPtr + at);
      at += k.length;
    }
  }
  u32[(offsetsPtr >>> 2) + n] = at;
  exportsOf().xxh64Batch(dataPtr, offsetsPtr, n, lo, hi, ptr);
  return new BigUint64Array(memU8().buffer.slice(ptr, ptr + n * 8));
}

/**
 * The 32-bit flow hash of one 5-tuple (see src/wasm/tuple.ts for the layout): the same value the
 * core's `hashTupleAt` gives conntrack and the L4 data plane. Per-call; batch with hashTuplesBatch.
 */
export function hashTuple(
  srcIp: string,
  srcPort: number,
  dstIp: string,
  dstPort: number,
  proto: number,
  seed = 0,
): number {
  const s = checkSeed32(seed);
  const ptr = scratch(TUPLE_BYTES);
  encodeTuple(memU8(), ptr, srcIp, srcPort, dstIp, dstPort, proto);
  return exportsOf().hashTuple(ptr, s) >>> 0;
}

/**
 * Flow hashes of `tuples.length / 40` encoded tuples in one call into the core. Writes into `out`
 * when given (it must hold one u32 per tuple) and returns it, else a new Uint32Array.
 */
export function hashTuplesBatch(tuples: Uint8Array, seed = 0, out?: Uint32Array): Uint32Array {
  const s = checkSeed32(seed);
  if (tuples.length % TUPLE_BYTES !== 0) {
    throw new LbError("INVALID_ARGUMENT", `tuples must be a multiple of ${TUPLE_BYTES} bytes, got ${tuples.length}`);
  }
  const count = tuples.length / TUPLE_BYTES;
  const result = out ?? new Uint32Array(count);
  if (result.length < count) {
    throw new LbError("INVALID_ARGUMENT", `output holds ${result.length} hashes, ${count} needed`);
  }
  const ptr = scratch(tuples.length + count * 4);
  const outPtr = ptr + tuples.length;
  memU8().set(tuples, ptr);
  exportsOf().hashTuples(ptr, count, s, outPtr);
  result.set(memU32().subarray(outPtr >>> 2, (outPtr >>> 2) + count));
  return result;
}
