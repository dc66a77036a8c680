/** Size limits the codec enforces while reading a head. */
export interface HttpLimits {
  /** Whole head (start line + fields + empty line); above it: 431 HEADERS_TOO_LARGE. */
  maxHeaderBytes: number;
  /** Field lines in one head (or one trailer section); above it: 431. */
  maxHeaderCount: number;
  /** Request line; above it: 414 URI_TOO_LONG. */
  maxRequestLine: number;
}

/** Defaults: 64 KiB of head, 100 fields, an 8 KiB request line (nginx and HAProxy are in this range). */
export const DEFAULT_LIMITS: Readonly<HttpLimits> = Object.freeze({
  maxHeaderBytes: 64 * 1024,
  maxHeaderCount: 100,
  maxRequestLine: 8 * 1024,
});
