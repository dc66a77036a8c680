/**
 * What a node hands the node that upgrades it: its listening sockets, by listener (one descriptor
 * per worker that accepts on it; none for udp, whose successor binds beside it with reusePort),
 * its admin and metrics addresses as bound, and its pid. The old node passes the descriptors as
 * the child's inherited descriptors 3, 4, ... and this description in FULCRUM_UPGRADE; the new
 * node reads it once at start.
 */

/** One listener's sockets as the old node holds them. */
export interface HandedListener {
  name: string;
  protocol: string;
  /** As configured (the new node matches its own config by name and this address). */
  address: string;
  /** The port bound (a listener configured with port 0 keeps it). */
  port: number;
  /** Descriptors: the old node's numbers in `sockets()`, the child's in FULCRUM_UPGRADE. */
  fds: number[];
}

/** The whole hand-over (the JSON of FULCRUM_UPGRADE). */
export interface Handoff {
  /** The old node's pid. */
  from: number;
  /** Admin and metrics addresses as bound (host:port), so port 0 stays the port in use. */
  admin: string;
  metrics?: string;
  listeners: HandedListener[];
  /** A cluster node's etcd lease, carried on by the new node so its record never leaves the registry. */
  lease?: string;
}

/** The environment variable the new node reads. */
export const HANDOFF_ENV = "FULCRUM_UPGRADE";

/** The hand-over this process was started with, if any (read once: the variable is removed, so children never see it). */
export function takeHandoff(): Handoff | undefined {
  const raw = process.env[HANDOFF_ENV];
  if (raw === undefined) return undefined;
  delete process.env[HANDOFF_ENV];
  const h = JSON.parse(raw) as Handoff;
  if (typeof h.from !== "number" || typeof h.admin !== "string" || !Array.isArray(h.listeners)) throw new Error(`${HANDOFF_ENV} is not a hand-over`);
  return h;
}

/**
 * The handed-over sockets of the listeners a node serves, by name, for its data plane: `config`
 * gives each listener's configured address; a socket handed for another address (the config
 * changed in between) is not used. Worker `worker` of `workers` takes every workers-th descriptor
 * from its index (so all are taken when the old node had more workers than this one); undefined
 * worker: all of them (one thread).
 */
export function socketsFor(h: Handoff, config: ReadonlyMap<string, string>, worker?: { id: number; of: number }): Map<string, { fds: number[]; port: number }> {
  const out = new Map<string, { fds: number[]; port: number }>();
  for (const l of h.listeners) {
    if (config.get(l.name) !== l.address) continue;
    const fds = worker === undefined ? l.fds : l.fds.filter((_, i) => i % worker.of === worker.id);
    out.set(l.name, { fds, port: l.port });
  }
  return out;
}
