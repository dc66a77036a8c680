/**
 * How the config's resources sit in etcd: every listener, pool and certificate is one entry, hashed
 * by "kind/name" into one of SHARD_COUNT shard keys. The count is fixed so that a write touching
 * every shard stays far under etcd's --max-txn-ops (128): 64 shards + the revision counter + two
 * history operations = 67. Each entry records the config revision that last changed it (a
 * per-resource ETag) and its position in the document. A shard whose JSON passes
 * COMPRESS_ABOVE bytes is stored gzip-compressed, which keeps a 1,000-pool / 10,000-backend config
 * about 15× under --max-request-bytes (measured: 58 KB gzip against 860 KB JSON); small shards stay
 * JSON that `etcdctl get` shows as is.
 */
import { LbError } from "../errors.ts";

/** Shard keys per cluster: part of the v1 layout, never changed without a new root. */
export const SHARD_COUNT = 64;
/** Shards whose JSON is longer are gzip-compressed. */
export const COMPRESS_ABOVE = 8 * 1024;

export type LayoutKind = "listeners" | "pools" | "certificates";
export const RESOURCE_KINDS: readonly LayoutKind[] = ["listeners", "pools", "certificates"];

/** One resource as stored: its document, its place in the document, the revision that last changed it. */
export interface StoredResource {
  rev: number;
  pos: number;
  doc: { name: string } & Record<string, unknown>;
  /** A pool's backends (by address) or a listener's routes (by name): the revision that last changed each. */
  kids?: Record<string, number>;
}

/** A shard's content: "kind/name" → resource. */
export type Shard = Record<string, StoredResource>;

/** The identity of a resource across the layout. */
export const resourceId = (kind: LayoutKind, name: string) => `${kind}/${name}`;

/** FNV-1a 32 of the resource id, modulo SHARD_COUNT: stable across versions and platforms. */
export function shardOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % SHARD_COUNT;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A shard's etcd value: JSON with sorted ids, gzip-compressed above COMPRESS_ABOVE bytes. */
export function encodeShard(shard: Shard): Uint8Array {
  const sorted: Shard = {};
  for (const id of Object.keys(shard).sort()) sorted[id] = shard[id]!;
  const json = utf8.encode(JSON.stringify(sorted));
  return json.byteLength > COMPRESS_ABOVE ? Bun.gzipSync(json) : json;
}

/** Decodes a shard value (JSON, or gzip by its magic bytes). Throws INTERNAL if it is neither. */
export function decodeShard(value: Uint8Array, key: string): Shard {
  try {
    const raw = value[0] === 0x1f && value[1] === 0x8b ? Bun.gunzipSync(value as Uint8Array<ArrayBuffer>) : value;
    const parsed = JSON.parse(fromUtf8.decode(raw)) as unknown;
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
    return parsed as Shard;
  } catch (e) {
    throw new LbError("INTERNAL", `cluster config: ${key} does not hold a config shard: ${(e as Error).message}`, { cause: e });
  }
}
