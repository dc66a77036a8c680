/**
 * Messages between a node's control part (the main thread: store, admin API, health checks,
 * config apply) and its workers (each a Bun Worker with its own listening sockets on the node's
 * addresses). Everything crosses as plain data; the config as JSON strings (posting a string is
 * cheap, cloning an object graph is not: BUN-NOTES). Messages on one worker's channel arrive in the
 * order they were posted, which the health relay relies on.
 */
/** One verdict change: pool, backend, healthy, why. */
export type FlipRecord = [pool: string, backend: string, healthy: boolean, reason: string | undefined];
import type { FoundBackend } from "../../config/index.ts";
import type { FamilyDump, LogFields, LogLevel } from "../../obs/index.ts";
import type { ListenerState } from "../../status.ts";
import type { KeyTableLayout } from "../shared/index.ts";
import type { NodeShareLayout } from "../shared/node-share.ts";
import type { UdpStatus } from "../listeners/udp-status.ts";
import type { HandedListener } from "../handover/handoff.ts";

/** One revision's config as it changed since the last one sent: resources by name, as validated JSON. */
export interface ConfigDelta {
  revision: number;
  /**
   * Every resource's name in document order (what is not named is gone); absent when it is the
   * same as in the delta before (most changes edit a resource, and a thousand names cost parsing).
   */
  order?: { listeners: string[]; pools: string[]; certificates: string[] };
  /** Resources new or changed since the last delta: name → JSON of the validated resource. */
  listeners: Record<string, string>;
  pools: Record<string, string>;
  certificates: Record<string, string>;
  /**
   * Backends the control part found in DNS, by pool, where they changed since the last delta
   * (null: none any more). Runtime state, like health: the revision does not move for them.
   */
  found?: Record<string, FoundBackend[] | null>;
}

/** What a worker is told when it starts. */
export interface WorkerInit {
  t: "init";
  /** 0-based; a restarted worker keeps its predecessor's index. */
  id: number;
  workers: number;
  share: NodeShareLayout;
  rates: KeyTableLayout;
  /** Listening sockets to adopt instead of binding (an upgrade's hand-over): listener name → fds and the port they hold. */
  inherited: Record<string, { fds: number[]; port: number }>;
  /** Honour the fault-injection header (tests only: FULCRUM_FAULT_INJECTION=1). */
  faults: boolean;
}

/** Control → worker. */
export type ToWorker =
  | WorkerInit
  /** A revision to serve. `ports`: the port every worker binds for listeners configured with port 0. */
  | { t: "config"; seq: number; delta: string; slots: Record<string, number>; ports: Record<string, number> }
  /** Active-check verdicts that changed, in order (FIFO after the config they apply to). */
  | { t: "flips"; seq: number; flips: FlipRecord[] }
  /** Backends that passed a check (ends an outlier ejection). */
  | { t: "passes"; passes: [pool: string, backends: string[]][] }
  /** Asks for the worker's counters (and its metrics families when `metrics`). */
  | { t: "collect"; seq: number; metrics: boolean }
  /** Duplicates of every listening TCP socket, for an upgrade's new node. */
  | { t: "fds"; seq: number }
  /** Stop accepting (another node took the sockets over); open connections carry on. */
  | { t: "retire"; seq: number }
  /** Writes out the access logs and opens their files afresh (SIGUSR1). */
  | { t: "reopenLogs"; seq: number }
  /** Drain and stop: open work gets `graceMs`. */
  | { t: "stop"; graceMs: number };

/** The counters of one listener, route, pool or backend, as TrafficStats keeps them. */
export interface TrafficDump {
  /** byClass */
  c: number[];
  /** active */
  a: number;
  bi: number;
  bo: number;
  /** retries */
  r: number;
  /** errors by code */
  e: [string, number][];
  /** latency counts, sparse: [bucket, count, bucket, count, ...] */
  l: number[];
}

/** One backend's counters in one worker. */
export interface BackendDump extends TrafficDump {
  pool: string;
  address: string;
  total: number;
  failures: number;
  ejected: boolean;
  ejections: number;
  /** L4 connections in this worker's connection-tracking tables */
  conns: number;
}

/** A listener as one worker has it bound. */
export type WorkerListener = ListenerState & { udp?: UdpStatus; error?: string };

/** What a worker reports on `collect`: the counters that changed since its last report, and the names gone since. */
export interface WorkerStats {
  listeners: WorkerListener[];
  traffic: { listener: Record<string, TrafficDump>; route: Record<string, TrafficDump>; pool: Record<string, TrafficDump> };
  backends: BackendDump[];
  /** Names no longer counted (a removed listener, route, pool; backends as "pool\0address"). */
  gone: { listener: string[]; route: string[]; pool: string[]; backend: string[] };
  /** HTTP requests finished plus L4 connections and UDP flows accepted, since this worker started. */
  requests: number;
  /** Client connections open now. */
  connections: number;
  metrics?: FamilyDump[];
}

/**
 * When a worker took a config message, in ms since the epoch (performance.timeOrigin + now): it
 * arrived, its handling began (after the messages before it), its answer was posted. Spans within
 * the worker are exact; against the control's clock they agree to a fraction of a ms, unless the
 * wall clock stepped between the two threads' starts (timeOrigin is read from it then).
 */
export interface HandoutTimes {
  received: number;
  begun: number;
  done: number;
}

/** Worker → control. */
export type FromWorker =
  /** A config was applied (listeners bound or failed): the ports bound for port-0 listeners. */
  | { t: "applied"; seq: number; revision: number; ports: Record<string, number>; errors: Record<string, string>; at: HandoutTimes }
  /** Health messages up to `seq` are applied. */
  | { t: "healthAck"; seq: number }
  | { t: "stats"; seq: number; stats: WorkerStats }
  | { t: "fds"; seq: number; listeners: HandedListener[] }
  | { t: "retired"; seq: number }
  | { t: "reopened"; seq: number; files: string[] }
  | { t: "log"; level: LogLevel; line: string; fields?: LogFields }
  /** No listener of the worker accepts any more (its drain goes on). */
  | { t: "closed" }
  /** The drain finished. */
  | { t: "stopped" };
