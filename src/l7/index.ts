/** @module The L7 data plane: Fulcrum's HTTP/1.1 and HTTP/2 engine, upstream pools and phase hooks. */
export * from "../http/index.ts";
export * from "./hooks.ts";
export { startProxy, type ProxyOptions, type ProxyServer } from "./proxy.ts";
export { DEFAULT_TIMEOUTS, type ProxyTimeouts } from "./server-core.ts";
export { UpstreamPool, DEFAULT_POOL_OPTIONS, poolKey, splitAddress, type PoolOptions } from "./upstream-pool.ts";
export type { UpstreamConn, UpstreamHandler } from "./upstream-conn.ts";
export { ConnGroup, type ConnLimits, type ConnOverflowKind, type ConnWaiter } from "./conn-group.ts";
export { encodeReply, errorReply } from "./reply.ts";
export { CODINGS, type Coding, type CompressPolicy } from "./compress/index.ts";
export { isGrpc, grpcTimeoutMs, grpcReply, grpcStatusOf } from "./grpc.ts";
