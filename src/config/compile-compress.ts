/**
 * Compiles `compress` of a listener and its routes into SnapshotCompress: defaults filled, media
 * ranges split into exact types, families and "any", so a response is matched with no parsing of
 * the config. A route without its own `compress` shares the listener's object.
 */
import type { CompressDoc } from "./schema-compress.ts";
import type { SnapshotCompress } from "./snapshot.ts";

/** The codings offered when `algorithms` is not given, most preferred first. */
export const DEFAULT_CODINGS = ["br", "zstd", "gzip"] as const;
/** What `types` is when not given (Envoy's default list, and text/javascript). */
export const DEFAULT_COMPRESS_TYPES = [
  "text/html", "text/plain", "text/css", "text/xml", "text/javascript", "application/javascript",
  "application/json", "application/xml", "application/xhtml+xml", "image/svg+xml",
] as const;
/** Traefik's default: below 1 KiB the bytes saved rarely pay for the work. */
export const DEFAULT_COMPRESS_MIN_BYTES = 1024;
/** gzip 6 (zlib's default, as Envoy and Traefik), brotli 4 (on-the-fly, as CDNs use), zstd 3 (its default). */
export const DEFAULT_COMPRESS_LEVELS = { gzip: 6, br: 4, zstd: 3 } as const;

/** The listener's compression, or undefined when it has none (or it is disabled). */
export function listenerCompress(doc: CompressDoc | undefined): SnapshotCompress | undefined {
  return doc === undefined ? undefined : compileCompress(doc);
}

/** A route's: its own fields over the listener's, field by field; the listener's object when it has none. */
export function routeCompress(own: CompressDoc | undefined, onListener: CompressDoc | undefined, compiled: SnapshotCompress | undefined): SnapshotCompress | undefined {
  if (own === undefined) return compiled;
  const levels = { ...onListener?.levels, ...own.levels };
  return compileCompress({ ...onListener, ...own, levels });
}

function compileCompress(doc: CompressDoc): SnapshotCompress | undefined {
  if (doc.enabled === false) return undefined;
  const ranges = (doc.types ?? DEFAULT_COMPRESS_TYPES).map((t) => t.toLowerCase());
  return {
    algorithms: doc.algorithms ?? [...DEFAULT_CODINGS],
    minBytes: doc.min_bytes ?? DEFAULT_COMPRESS_MIN_BYTES,
    types: ranges.filter((t) => !t.endsWith("*")),
    typePrefixes: ranges.filter((t) => t.endsWith("/*")).map((t) => t.slice(0, -1)),
    anyType: ranges.includes("*") || ranges.includes("*/*"),
    levels: { ...DEFAULT_COMPRESS_LEVELS, ...doc.levels },
  };
}
