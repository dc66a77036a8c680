/**
 * Fulcrum's etcd client: unary calls on etcd's JSON gRPC gateway (`/v3/...`) over `fetch`, with an
 * endpoint list, a per-attempt timeout, a deadline for the whole call, and a retry on the next
 * member when that is safe (ETCD-NOTES §1.2, §6.2). Every request carries `hasleader`, so a member
 * cut off from quorum answers "no leader" at once instead of hanging, and the client moves on.
 */
import { Backoff, sleep, type BackoffOptions } from "./backoff.ts";
import { b64, decodeHeader, decodeRange, int, type Json } from "./codec.ts";
import { Endpoints } from "./endpoints.ts";
import { EtcdError, fromFetchError, fromGatewayError } from "./errors.ts";
import { decodeTxn, encodeRange, encodeTxn, txnWrites, type Txn, type TxnResult } from "./txn.ts";
import type { Header, RangeOptions, RangeResult } from "./types.ts";

export interface EtcdClientOptions {
  /** Client URLs of the members, e.g. http://10.0.0.5:2379. */
  endpoints: readonly string[];
  /** One attempt on one member (default 2000 ms). */
  requestTimeoutMs?: number;
  /** The whole call, retries included (default 5000 ms). */
  deadlineMs?: number;
  backoff?: BackoffOptions;
}

/** Per call: `idempotent` lets a write be sent again after an unclear failure (its repeat is harmless). */
export interface CallOptions {
  idempotent?: boolean;
  deadlineMs?: number;
}

/** Headers on every request. `hasleader` is clientv3's WithRequireLeader, forwarded as gRPC metadata. */
export const GATEWAY_HEADERS = { "content-type": "application/json", "grpc-metadata-hasleader": "true" };

export class EtcdClient {
  readonly endpoints: Endpoints;
  readonly requestTimeoutMs: number;
  readonly deadlineMs: number;
  readonly backoffOptions: BackoffOptions;
  private readonly closing = new AbortController();

  constructor(opts: EtcdClientOptions) {
    this.endpoints = new Endpoints(opts.endpoints);
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 2000;
    this.deadlineMs = opts.deadlineMs ?? 5000;
    this.backoffOptions = opts.backoff ?? {};
  }

  /** Aborted by close(): long-running loops (watches, keepalives) built on this client stop on it. */
  get signal(): AbortSignal {
    return this.closing.signal;
  }

  /** Reads one key, or a range / prefix (paginate with `limit` and pin `revision`). */
  async range(key: string, opts: RangeOptions = {}, call: CallOptions = {}): Promise<RangeResult> {
    return decodeRange(await this.call("/v3/kv/range", encodeRange(key, opts), { idempotent: true, ...call }));
  }

  /** Puts one key (optionally under a lease). */
  async put(key: string, value: string | Uint8Array, opts: { lease?: string } & CallOptions = {}): Promise<Header> {
    const body: Json = { key: b64(key), value: b64(value) };
    if (opts.lease && opts.lease !== "0") body.lease = opts.lease;
    return decodeHeader((await this.call("/v3/kv/put", body, opts)).header);
  }

  /** Deletes one key, or every key under `key` with `prefix`; resolves to how many were deleted. */
  async delete(key: string, opts: { prefix?: boolean } & CallOptions = {}): Promise<number> {
    const r = await this.call("/v3/kv/deleterange", encodeRange(key, { prefix: opts.prefix }), opts);
    return int(r.deleted);
  }

  /** Runs a txn. One that only reads is retried freely; one that writes only when safe (see errors.ts). */
  async txn(t: Txn, call: CallOptions = {}): Promise<TxnResult> {
    return decodeTxn(await this.call("/v3/kv/txn", encodeTxn(t), { idempotent: !txnWrites(t), ...call }));
  }

  /** Compacts history up to `revision` (physical: waits until the space is freed). */
  async compact(revision: number, physical = true): Promise<void> {
    await this.call("/v3/kv/compaction", { revision: String(revision), physical }, { idempotent: true });
  }

  /** Grants a lease; etcd may raise `ttlS` to its minimum. */
  async leaseGrant(ttlS: number): Promise<{ id: string; ttl: number }> {
    const r = await this.call("/v3/lease/grant", { TTL: String(ttlS) }, { idempotent: true });
    return { id: String(r.ID ?? "0"), ttl: int(r.TTL) };
  }

  /** One keepalive; resolves to the lease's new TTL, 0 when the lease is gone (expired or revoked). */
  async leaseKeepAlive(id: string, call: CallOptions = {}): Promise<number> {
    const r = await this.call("/v3/lease/keepalive", { ID: id }, { idempotent: true, ...call });
    return int(((r.result ?? {}) as Json).TTL);
  }

  /** Revokes a lease: every key under it is deleted at once. A lease already gone is not an error. */
  async leaseRevoke(id: string, call: CallOptions = {}): Promise<void> {
    try {
      await this.call("/v3/lease/revoke", { ID: id }, { idempotent: true, ...call });
    } catch (e) {
      if (!(e instanceof EtcdError && e.failure === "rejected" && /not found/i.test(e.message))) throw e;
    }
  }

  /** Stops every loop built on this client (watches, keepalives). Calls in flight finish or fail. */
  close(): void {
    this.closing.abort();
  }

  /**
   * POSTs `body` to `path` on the current member; on a failure that allows it, rotates to the next
   * member and tries again, backing off (jittered) after each full round, until the deadline.
   */
  async call(path: string, body: Json, opts: CallOptions = {}): Promise<Json> {
    const deadline = Date.now() + (opts.deadlineMs ?? this.deadlineMs);
    const backoff = new Backoff(this.backoffOptions);
    let tried = 0;
    for (;;) {
      const endpoint = this.endpoints.current();
      const left = deadline - Date.now();
      try {
        return await this.once(endpoint, path, body, Math.max(1, Math.min(this.requestTimeoutMs, left)));
      } catch (e) {
        const err = e as EtcdError;
        if (err.failure === "rejected") throw err;
        if (!opts.idempotent && !err.notProposed) {
          err.ambiguous = true;
          throw err;
        }
        this.endpoints.rotate(endpoint);
        if (++tried % this.endpoints.all.length === 0) await sleep(Math.min(backoff.next(), deadline - Date.now()), this.signal);
        if (Date.now() >= deadline || this.signal.aborted) throw err;
      }
    }
  }

  private async once(endpoint: string, path: string, body: Json, timeoutMs: number): Promise<Json> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(endpoint + path, {
        method: "POST",
        headers: GATEWAY_HEADERS,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await res.text();
    } catch (e) {
      throw fromFetchError(e, endpoint);
    }
    let json: Json;
    try {
      json = text.length > 0 ? (JSON.parse(text) as Json) : {};
    } catch (e) {
      throw new EtcdError(res.ok ? "transport" : "unavailable", `${endpoint}${path}: not JSON (HTTP ${res.status})`, { endpoint, cause: e });
    }
    // Unary errors are {"error":"…","code":N}; stream-shaped calls (keepalive) wrap theirs: {"error":{"grpc_code":N}}.
    if (!res.ok || json.error !== undefined) throw fromGatewayError(json, endpoint, res.status);
    return json;
  }
}
