/**
 * What the engine needs to compress responses of a listener or route: the compiled `compress`
 * (SnapshotCompress has this shape). Set on the request's ProxyCtx by the request hooks; null = off.
 */

/** A content coding the engine applies; the Content-Encoding token. */
export type Coding = "br" | "zstd" | "gzip";

/** Codings in a fixed order, for counters indexed by coding. */
export const CODINGS: readonly Coding[] = ["br", "zstd", "gzip"];

export interface CompressPolicy {
  /** Codings offered, preferred first (when the client's q-values tie). */
  readonly algorithms: readonly Coding[];
  /** A response declaring a smaller Content-Length is sent as it is. */
  readonly minBytes: number;
  /** Exact media types (lower-case, no parameters). */
  readonly types: readonly string[];
  /** Families as prefixes ("text/"). */
  readonly typePrefixes: readonly string[];
  /** Any media type (gRPC excepted). */
  readonly anyType: boolean;
  readonly levels: { readonly gzip: number; readonly br: number; readonly zstd: number };
}
