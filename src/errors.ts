/**
 * The one error type that crosses module boundaries (STYLE.md §4). `code` is a stable
 * SCREAMING_SNAKE string, `source` says whose fault it is, `status` is the HTTP status an admin or
 * L7 response maps it to, and `retryable` tells the proxy whether another backend may succeed.
 */

/** Where an error came from: decides how the data plane answers (upstream → 502, downstream → 400). */
export type ErrorSource = "upstream" | "downstream" | "internal" | "config";

/** Every code Fulcrum emits, with its default HTTP status. Codes are stable once shipped. */
export const CODES = {
  // internal
  INTERNAL: 500,
  WASM_ABORT: 500,
  // config / validation
  CONFIG_INVALID: 400,
  INVALID_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_YAML: 400,
  INVALID_ARGUMENT: 400,
  MAGLEV_TABLE_SIZE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  LISTENER_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  POOL_NOT_FOUND: 404,
  BACKEND_NOT_FOUND: 404,
  CERTIFICATE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  ALREADY_EXISTS: 409,
  IN_USE: 409,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  DRAINING: 503,
  // cluster (etcd)
  CLUSTER_UNAVAILABLE: 503,
  NODE_NAME_TAKEN: 409,
  // data plane
  BAD_REQUEST: 400,
  NO_ROUTE: 404,
  BODY_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  URI_TOO_LONG: 414,
  CLIENT_CLOSED: 499,
  RATE_LIMITED: 429,
  /** a client address an access list refuses (listener or route) */
  ACCESS_DENIED: 403,
  /** mTLS, optional mode: the client presented a certificate that does not verify */
  CLIENT_CERT_INVALID: 403,
  /** a client over its listener's max_connections_per_client */
  TOO_MANY_CONNECTIONS: 429,
  UPSTREAM_CONNECT_FAILED: 502,
  UPSTREAM_RESET: 502,
  UPSTREAM_PROTOCOL: 502,
  /** an HTTP/2 backend refused the stream unprocessed (REFUSED_STREAM, or above its GOAWAY): always safe to resend */
  UPSTREAM_REFUSED: 502,
  /** a 101 switching to a protocol the proxy did not offer the backend */
  BAD_UPGRADE: 502,
  NO_HEALTHY_BACKEND: 503,
  OVERFLOW: 503,
  UPSTREAM_TIMEOUT: 504,
  REQUEST_TIMEOUT: 408,
} as const;

export type ErrorCode = keyof typeof CODES;

export interface LbErrorOptions {
  source?: ErrorSource;
  status?: number;
  retryable?: boolean;
  cause?: unknown;
  details?: unknown[];
}

function defaultSource(code: ErrorCode): ErrorSource {
  if (code.startsWith("UPSTREAM_") || code === "NO_HEALTHY_BACKEND") return "upstream";
  if (code === "INTERNAL" || code === "WASM_ABORT") return "internal";
  const status = CODES[code];
  return status >= 400 && status < 500 ? "downstream" : "internal";
}

/** A Fulcrum error with a stable code; throw it, never a string or a bare Error across modules. */
export class LbError extends Error {
  readonly code: ErrorCode;
  readonly source: ErrorSource;
  readonly status: number;
  readonly retryable: boolean;
  readonly details?: unknown[];

  constructor(code: ErrorCode, message: string, opts: LbErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "LbError";
    this.code = code;
    this.source = opts.source ?? defaultSource(code);
    this.status = opts.status ?? CODES[code];
    this.retryable = opts.retryable ?? false;
    this.details = opts.details;
  }
}

/** True when `e` is an LbError, optionally with the given code. */
export function isLbError(e: unknown, code?: ErrorCode): e is LbError {
  return e instanceof LbError && (code === undefined || e.code === code);
}
