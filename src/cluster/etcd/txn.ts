/**
 * Transactions: compares and operations as Fulcrum writes them, and their gateway JSON. A txn is
 * etcd's only atomic multi-key write: every put and delete in it gets one revision and reaches
 * every watcher in one response.
 */
import { b64, decodeHeader, decodeRange, int, prefixEnd, type Json } from "./codec.ts";
import type { Header, RangeOptions, RangeResult } from "./types.ts";

export type CompareOp = "=" | "!=" | ">" | "<";
type Target = "VERSION" | "CREATE" | "MOD" | "VALUE" | "LEASE";

/** One condition of a txn. A missing key has create/mod revision 0, version 0. */
export interface Compare {
  key: string;
  target: Target;
  op: CompareOp;
  value: number | string | Uint8Array;
}

/** One operation of a txn. */
export type TxnOp =
  | { put: { key: string; value: string | Uint8Array; lease?: string } }
  | { get: { key: string; opts?: RangeOptions } }
  | { del: { key: string; prefix?: boolean } };

/** What one operation answered, in the order of the branch that ran. */
export type OpResult = { kind: "range"; range: RangeResult } | { kind: "put" } | { kind: "delete"; deleted: number };

export interface TxnResult {
  succeeded: boolean;
  header: Header;
  responses: OpResult[];
}

/** A txn: `success` runs when every compare holds, `failure` otherwise. */
export interface Txn {
  compare: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

/** Compare builders: `when.mod(k, "=", 7)`, `when.created(k, "=", 0)` (absent), `when.value(k, "=", v)`. */
export const when = {
  mod: (key: string, op: CompareOp, rev: number): Compare => ({ key, target: "MOD", op, value: rev }),
  created: (key: string, op: CompareOp, rev: number): Compare => ({ key, target: "CREATE", op, value: rev }),
  version: (key: string, op: CompareOp, v: number): Compare => ({ key, target: "VERSION", op, value: v }),
  value: (key: string, op: CompareOp, v: string | Uint8Array): Compare => ({ key, target: "VALUE", op, value: v }),
  lease: (key: string, op: CompareOp, id: string): Compare => ({ key, target: "LEASE", op, value: id }),
};

/** Operation builders. */
export const op = {
  put: (key: string, value: string | Uint8Array, lease?: string): TxnOp => ({ put: { key, value, lease } }),
  get: (key: string, opts?: RangeOptions): TxnOp => ({ get: { key, opts } }),
  del: (key: string, prefix = false): TxnOp => ({ del: { key, prefix } }),
};

/** True when the txn writes (a retry after an unclear failure could apply it twice). */
export function txnWrites(t: Txn): boolean {
  return [...t.success, ...(t.failure ?? [])].some((o) => !("get" in o));
}

const RESULT = { "=": "EQUAL", "!=": "NOT_EQUAL", ">": "GREATER", "<": "LESS" } as const;
const FIELD = { VERSION: "version", CREATE: "create_revision", MOD: "mod_revision", VALUE: "value", LEASE: "lease" } as const;

function encodeCompare(c: Compare): Json {
  const value = c.target === "VALUE" ? b64(c.value as string | Uint8Array) : String(c.value);
  return { key: b64(c.key), target: c.target, result: RESULT[c.op], [FIELD[c.target]]: value };
}

/** The gateway body of a range request (also used inside a txn). */
export function encodeRange(key: string, o: RangeOptions = {}): Json {
  const body: Json = { key: b64(key) };
  const end = o.rangeEnd ?? (o.prefix ? prefixEnd(key) : undefined);
  if (end) body.range_end = b64(end);
  if (o.revision) body.revision = String(o.revision);
  if (o.limit) body.limit = String(o.limit);
  if (o.countOnly) body.count_only = true;
  if (o.keysOnly) body.keys_only = true;
  if (o.serializable) body.serializable = true;
  return body;
}

function encodeOp(o: TxnOp): Json {
  if ("put" in o) {
    const put: Json = { key: b64(o.put.key), value: b64(o.put.value) };
    if (o.put.lease && o.put.lease !== "0") put.lease = o.put.lease;
    return { request_put: put };
  }
  if ("get" in o) return { request_range: encodeRange(o.get.key, o.get.opts) };
  const del: Json = { key: b64(o.del.key) };
  if (o.del.prefix) del.range_end = b64(prefixEnd(o.del.key));
  return { request_delete_range: del };
}

export function encodeTxn(t: Txn): Json {
  return { compare: t.compare.map(encodeCompare), success: t.success.map(encodeOp), failure: (t.failure ?? []).map(encodeOp) };
}

function decodeOpResult(r: Json): OpResult {
  if (r.response_range !== undefined) return { kind: "range", range: decodeRange((r.response_range ?? {}) as Json) };
  if (r.response_delete_range !== undefined) return { kind: "delete", deleted: int((r.response_delete_range as Json).deleted) };
  return { kind: "put" };
}

export function decodeTxn(r: Json): TxnResult {
  const responses = Array.isArray(r.responses) ? r.responses.map((x) => decodeOpResult(x as Json)) : [];
  return { succeeded: r.succeeded === true, header: decodeHeader(r.header), responses };
}
