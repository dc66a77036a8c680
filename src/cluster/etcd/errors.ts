/**
 * How an etcd call failed, and whether trying again (on another member) is safe. A failure before
 * the request left (connection refused, "no leader", "too many requests") is always safe to retry;
 * after it may have been proposed (reset, timeout, "leader changed") only a read may be repeated,
 * and a write reports `ambiguous`: it may or may not have been applied.
 */
import { LbError } from "../../errors.ts";

/** gRPC status codes etcd answers with (the gateway passes them as `code`). */
export const GRPC = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  RESOURCE_EXHAUSTED: 8,
  OUT_OF_RANGE: 11,
  UNAVAILABLE: 14,
} as const;

/** The failure kinds the client tells apart. */
export type EtcdFailure =
  | "refused" // nothing was sent: the member is not listening
  | "transport" // the connection broke or timed out; the request may have arrived
  | "unavailable" // etcd answered that it cannot serve now (no leader, leader changed, timed out)
  | "rejected"; // etcd answered that the request itself is wrong (compacted, too large, bad lease)

/** An etcd failure. It is an LbError: CLUSTER_UNAVAILABLE (503), or INTERNAL when etcd rejected the request. */
export class EtcdError extends LbError {
  readonly failure: EtcdFailure;
  readonly grpcCode: number;
  readonly endpoint: string;
  /** A write that may have been applied although it failed. */
  ambiguous = false;

  constructor(failure: EtcdFailure, message: string, opts: { grpcCode?: number; endpoint?: string; cause?: unknown } = {}) {
    super(failure === "rejected" ? "INTERNAL" : "CLUSTER_UNAVAILABLE", `etcd: ${message}`, {
      cause: opts.cause,
      retryable: failure !== "rejected",
    });
    this.failure = failure;
    this.grpcCode = opts.grpcCode ?? 0;
    this.endpoint = opts.endpoint ?? "";
  }

  /** The revision asked for was compacted away (range at an old revision, watch from one). */
  get compacted(): boolean {
    return this.grpcCode === GRPC.OUT_OF_RANGE;
  }

  /** A txn over --max-txn-ops, or a request over --max-request-bytes. */
  get tooLarge(): boolean {
    return this.grpcCode === GRPC.INVALID_ARGUMENT && /too many operations|too large/i.test(this.message);
  }

  /** True when `message` says nothing was proposed, so even a write may be sent again. */
  get notProposed(): boolean {
    return this.failure === "refused" || (this.grpcCode === GRPC.UNAVAILABLE && /no leader/i.test(this.message)) ||
      this.grpcCode === GRPC.RESOURCE_EXHAUSTED;
  }
}

/** Turns what fetch threw into an EtcdError. */
export function fromFetchError(e: unknown, endpoint: string): EtcdError {
  const err = e as { name?: string; code?: string; message?: string };
  const refused = err.code === "ECONNREFUSED" || err.code === "ConnectionRefused";
  const msg = `${endpoint}: ${err.name === "TimeoutError" ? "request timed out" : (err.message ?? String(e))}`;
  return new EtcdError(refused ? "refused" : "transport", msg, { endpoint, cause: e });
}

const REJECTED = new Set([3, 5, 6, 7, 9, 11, 12, 16]);

/** Turns a gateway error body (`{"error","message","code"}` or a stream's `{"grpc_code",...}`) into an EtcdError. */
export function fromGatewayError(outer: Record<string, unknown>, endpoint: string, httpStatus: number): EtcdError {
  const body = typeof outer.error === "object" && outer.error !== null ? (outer.error as Record<string, unknown>) : outer;
  const grpcCode = Number(body.code ?? body.grpc_code ?? 0);
  const message = String(body.message ?? body.error ?? `HTTP ${httpStatus}`);
  // The request itself is wrong (bad argument, compacted, unknown lease, permission): sending it
  // again cannot help. Anything else etcd or the gateway answers is about this moment or member.
  const rejected = REJECTED.has(grpcCode) || (grpcCode === 0 && httpStatus < 500);
  return new EtcdError(rejected ? "rejected" : "unavailable", `${endpoint}: ${message}`, { grpcCode, endpoint });
}
