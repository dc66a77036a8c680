/**
 * What the engine knows of gRPC (the HTTP/2 protocol of grpc/grpc's PROTOCOL-HTTP2.md): a call is
 * a request with content-type application/grpc[+codec]; an error the proxy makes must reach the
 * client as gRPC sees errors, HTTP 200 with grpc-status and grpc-message (a "trailers-only"
 * response), and the call's grpc-timeout caps how long the proxy waits for it.
 */
import type { RequestHead } from "../http/index.ts";
import type { ProxyReply } from "./hooks.ts";

/** gRPC status codes the proxy sends (grpc/grpc doc/statuscodes.md). */
export const GRPC = { INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** The request is a gRPC call (gRPC-Web's application/grpc-web too: it reads errors the same way). */
export function isGrpc(req: RequestHead): boolean {
  if (req.method !== "POST") return false;
  const ct = req.get("content-type");
  return ct !== undefined && ct.length >= 16 && ct.slice(0, 16).toLowerCase() === "application/grpc";
}

/** The proxy's own error codes that say more than the HTTP status (overflow and limits are exhaustion, not unavailability). */
const BY_CODE: Record<string, number> = {
  UPSTREAM_TIMEOUT: GRPC.DEADLINE_EXCEEDED,
  OVERFLOW: GRPC.RESOURCE_EXHAUSTED,
  RATE_LIMITED: GRPC.RESOURCE_EXHAUSTED,
  BODY_TOO_LARGE: GRPC.RESOURCE_EXHAUSTED,
  NO_ROUTE: GRPC.UNIMPLEMENTED,
};

/** The gRPC status for a proxy reply: by error code, else gRPC's HTTP-status mapping (doc/http-grpc-status-mapping.md). */
export function grpcStatusOf(reply: ProxyReply): number {
  const byCode = reply.errorCode === undefined ? undefined : BY_CODE[reply.errorCode];
  if (byCode !== undefined) return byCode;
  const s = reply.status;
  if (s === 400) return GRPC.INTERNAL;
  if (s === 401) return 16; // UNAUTHENTICATED
  if (s === 403) return 7; // PERMISSION_DENIED
  if (s === 404) return GRPC.UNIMPLEMENTED;
  if (s === 429 || s === 502 || s === 503 || s === 504) return GRPC.UNAVAILABLE;
  return 2; // UNKNOWN
}

/**
 * A proxy reply to a gRPC call, as gRPC clients read errors: 200, application/grpc, grpc-status and
 * grpc-message (percent-encoded), x-fulcrum-error kept, no body. Replies of 2xx pass unchanged.
 */
export function grpcReply(reply: ProxyReply): ProxyReply {
  if (reply.status >= 200 && reply.status < 300) return reply;
  const body = reply.body === undefined ? "" : typeof reply.body === "string" ? reply.body : Buffer.from(reply.body).toString("utf8");
  const message = (reply.errorCode ?? body.trim()) || `HTTP ${reply.status}`;
  return {
    status: 200,
    ...(reply.errorCode !== undefined ? { errorCode: reply.errorCode } : {}),
    ...(reply.closeConnection ? { closeConnection: true } : {}),
    fields: {
      ...reply.fields,
      "content-type": "application/grpc",
      "grpc-status": String(grpcStatusOf(reply)),
      "grpc-message": encodeURIComponent(message),
    },
  };
}

const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/**
 * A grpc-timeout value ("100m", "5S": at most 8 digits and a unit) in whole milliseconds (at
 * least 1); undefined when absent or malformed (then ignored, as gRPC servers do).
 */
export function grpcTimeoutMs(value: string | undefined): number | undefined {
  if (value === undefined || value.length < 2 || value.length > 9) return undefined;
  const unit = UNIT_MS[value[value.length - 1]!];
  const digits = value.slice(0, -1);
  if (unit === undefined || !/^\d+$/.test(digits)) return undefined;
  return Math.max(1, Math.ceil(Number(digits) * unit));
}
