/** @module The running data plane's shared state: pools narrowed by health, live counters, listeners. */
export * from "./pools/backend-stats.ts";
export * from "./pools/pool-runtime.ts";
export * from "./pools/pool-registry.ts";
export * from "./data-plane.ts";
export * from "./listeners/listener-set.ts";
export { preflightListeners } from "./listeners/preflight.ts";
export { startWorkerPlane, type WorkerPlane, type WorkerPlaneOptions } from "./workers/worker-plane.ts";
export { startSuccessor, successorReady, type SuccessorOutcome, type ReadyMessage } from "./handover/successor.ts";
export { takeHandoff, socketsFor, type Handoff, type HandedListener } from "./handover/handoff.ts";
export { controlSocketPath, serveControl, askControl, type ControlRequest } from "./handover/control-socket.ts";
export { closeFd } from "./handover/fds.ts";
