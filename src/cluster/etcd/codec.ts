/**
 * The JSON gateway's encoding (protobuf JSON mapping, ETCD-NOTES §1.2): base64 keys and values,
 * int64 as strings, enums as strings, and every zero-valued field omitted. The decoders here put
 * each omitted field back with its default, so no caller ever reads `undefined` for a zero.
 */
import type { Header, KeyValue, RangeResult, WatchEvent, WatchResponse } from "./types.ts";

/** Anything the gateway sent: an object whose fields may each be missing. */
export type Json = Record<string, unknown>;

const utf8 = new TextDecoder();

/** Base64 of a key or value (strings are UTF-8 encoded first). */
export function b64(v: string | Uint8Array): string {
  return (typeof v === "string" ? Buffer.from(v, "utf8") : Buffer.from(v.buffer, v.byteOffset, v.byteLength)).toString("base64");
}

/** The exclusive end of the range of every key starting with `prefix` (etcd's GetPrefixRangeEnd). */
export function prefixEnd(prefix: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(prefix, "utf8"));
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = bytes.slice(0, i + 1);
      end[i]!++;
      return end;
    }
  }
  // Every byte is 0xff: the range runs to the end of the keyspace ("\0" in etcd's encoding).
  return new Uint8Array([0]);
}

function str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

/** An int64 field (a string, or absent for 0) as a number. */
export function int(v: unknown): number {
  if (v === undefined || v === null || v === "") return 0;
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

function bytes(v: unknown): Uint8Array {
  return typeof v === "string" && v.length > 0 ? new Uint8Array(Buffer.from(v, "base64")) : new Uint8Array(0);
}

/** UTF-8 text of a value. */
export function text(v: Uint8Array): string {
  return utf8.decode(v);
}

export function decodeHeader(h: unknown): Header {
  const o = (h ?? {}) as Json;
  return { clusterId: str(o.cluster_id), memberId: str(o.member_id), revision: int(o.revision), raftTerm: int(o.raft_term) };
}

export function decodeKv(k: unknown): KeyValue {
  const o = (k ?? {}) as Json;
  return {
    key: text(bytes(o.key)),
    value: bytes(o.value),
    createRevision: int(o.create_revision),
    modRevision: int(o.mod_revision),
    version: int(o.version),
    lease: str(o.lease) || "0",
  };
}

export function decodeRange(r: Json): RangeResult {
  const kvs = Array.isArray(r.kvs) ? r.kvs.map(decodeKv) : [];
  return { header: decodeHeader(r.header), kvs, more: r.more === true, count: int(r.count) };
}

function decodeEvent(e: unknown): WatchEvent {
  const o = (e ?? {}) as Json;
  const ev: WatchEvent = { type: o.type === "DELETE" ? "DELETE" : "PUT", kv: decodeKv(o.kv) };
  if (o.prev_kv !== undefined) ev.prevKv = decodeKv(o.prev_kv);
  return ev;
}

/** One `{"result": {...}}` message of a watch stream. */
export function decodeWatchResponse(r: Json): WatchResponse {
  return {
    header: decodeHeader(r.header),
    watchId: str(r.watch_id) || "0",
    created: r.created === true,
    canceled: r.canceled === true,
    compactRevision: int(r.compact_revision),
    cancelReason: str(r.cancel_reason),
    events: Array.isArray(r.events) ? r.events.map(decodeEvent) : [],
  };
}
