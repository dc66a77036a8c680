/** @module Fulcrum's etcd v3 client over the JSON gRPC gateway: unary calls, txns, watch streams, paged reads. */
export { Backoff, sleep, type BackoffOptions } from "./backoff.ts";
export { EtcdClient, type CallOptions, type EtcdClientOptions } from "./client.ts";
export { prefixEnd, text } from "./codec.ts";
export { Endpoints } from "./endpoints.ts";
export { EtcdError, GRPC, type EtcdFailure } from "./errors.ts";
export { readPrefix, type PrefixRead } from "./read-prefix.ts";
export { op, when, type Compare, type CompareOp, type OpResult, type Txn, type TxnOp, type TxnResult } from "./txn.ts";
export type * from "./types.ts";
export { watchStream, type WatchEnd, type WatchRequest, type WatchStreamOptions } from "./watch.ts";
