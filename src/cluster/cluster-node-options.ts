/**
 * What a ClusterNode (cluster-node.ts) is started with, and what it reports of itself.
 */
import type { ConfigState } from "./config-state.ts";
import type { MirrorStatus } from "./mirror-change.ts";

export interface ClusterNodeOptions {
  endpoints: readonly string[];
  /** The node's name (--node): unique among live nodes. */
  name: string;
  adminUrl: string;
  version: string;
  /** The node's SQLite file: the config mirror lives in it (tables cluster_kv, cluster_sync). */
  dbPath: string;
  root?: string;
  /** Lease TTL (default 10 s; 2 s is etcd's practical minimum). */
  ttlS?: number;
  /** 3× etcd's --experimental-watch-progress-notify-interval (default 15 s for the recommended 5 s). */
  watchdogMs?: number;
  requestTimeoutMs?: number;
  /** How long a call (a write) may take with retries before it is a 503 (default 5 s). */
  deadlineMs?: number;
  /** Without a mirror, how long start() waits for etcd before it fails (default 5 s). */
  startTimeoutMs?: number;
  /**
   * The lease of the node this one upgrades (same name and database): carried on, so the name's
   * record is already this node's and never leaves the registry (see handOver()).
   */
  continueLease?: string;
  /** How long start() waits for another lease's record of this name to expire (default 2 × TTL + 1 s). */
  nameWaitMs?: number;
  /** How long the feed of other nodes' acks stays on after its last use (default 60 s; see ack-feed.ts). */
  ackLingerMs?: number;
  /** After each config change reached the mirror (the new state; compile and publish it). */
  onConfig?: (state: ConfigState) => void;
  /** The name was taken by another live node while this one was away from etcd. */
  onNameTaken?: (e: Error) => void;
  log?: (msg: string) => void;
}

export interface ClusterNodeStatus {
  name: string;
  endpoints: readonly string[];
  /** The member calls go to now. */
  member: string;
  registered: boolean;
  registrationError: string;
  config: MirrorStatus;
  nodes: MirrorStatus;
  health: MirrorStatus;
  /** Config revisions this node's mirror took from watch events, one by one (a resync jumps). */
  revisionsApplied: number;
  /** Config revision events at or below one already applied: must stay 0 (none applied twice). */
  revisionsRepeated: number;
}
