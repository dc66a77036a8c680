/**
 * Reconciles the bound listeners with each config snapshot: a listener whose binding settings are
 * unchanged keeps running (it reads the new snapshot per connection or request); a changed one
 * (address, timeouts, certificates...) is rebound by handover: the successor takes the listening
 * socket over (a duplicate of its descriptor; udp: a new socket beside it, with reusePort), then
 * the predecessor retires: it stops accepting and its open connections carry on. No connection
 * waiting in the socket's queue is lost in between. A removed one stops, letting its connections finish. Binding
 * failures are reported, never thrown into the snapshot publisher; a failed rebind keeps the old
 * binding serving.
 */
import type { Snapshot, SnapshotListener } from "../../config/index.ts";
import type { UdpRelayStats } from "../../l4/index.ts";
import { udpStatus, type UdpStatus } from "./udp-status.ts";
import { probeAddress } from "./port-probe.ts";
import { closeFd, dupFd } from "../handover/fds.ts";
import type { HandedListener } from "../handover/handoff.ts";

/** One running listener, whatever its protocol. */
export interface BoundListener {
  readonly port: number;
  /** TCP listeners: the listening socket's descriptor (a successor on the same address takes it over). */
  readonly fd?: number;
  /** udp listeners: live relay counters, shown in /v1/status and /metrics. */
  readonly udp?: Readonly<UdpRelayStats>;
  active(): number;
  /** Stops accepting; open connections get `graceMs` to finish (0: closed now). */
  stop(graceMs: number): Promise<void>;
  /**
   * A successor is bound on the same port: stop accepting, let open connections carry on
   * untouched for `graceMs`, then wind them down. Absent: `stop(graceMs)` does it.
   */
  retire?(graceMs: number): void;
}

/**
 * Binds `l` (its port may be the predecessor's, for a port-0 listener rebound in place), or, with
 * `fd`, accepts on that socket (the predecessor's, duplicated) instead of binding.
 */
export type StartListener = (l: SnapshotListener, fd?: number) => Promise<BoundListener>;

export interface ListenerSetOptions {
  /** How long a rebound listener's connections carry on before they are wound down (default 10 min, Envoy's drain time). */
  handoverGraceMs?: number;
  /** How long a removed listener's connections get to finish (default 30 s). */
  removeGraceMs?: number;
  /**
   * A fresh bind fails when anything holds the address, reusePort holders too (default true; worker
   * processes that share ports on purpose turn it off).
   */
  exclusive?: boolean;
  /** Addresses this node took over from the node it upgraded (their sockets are handed over): no probe. */
  takenOver?: (l: SnapshotListener) => boolean;
}

interface Entry {
  key: string;
  listener: SnapshotListener;
  bound: BoundListener | undefined;
  error: string | undefined;
}

/** What changes a binding: protocol, address, and the settings a listener reads once at bind time. */
function bindingKey(l: SnapshotListener): string {
  return JSON.stringify([
    l.protocol,
    l.address,
    l.maxConnections,
    l.idleTimeoutMs,
    l.headerTimeoutMs,
    l.handshakeTimeoutMs,
    l.maxBodyBytes,
    l.proxyProtocol,
    l.certificates.map((c) => [c.name, c.certPem, c.keyPem]),
    l.protocol === "tcp" || l.protocol === "udp" ? l.pool?.connectTimeoutMs : undefined,
    l.udp,
    l.clientAuth,
  ]);
}

/** `next` as it binds: a port-0 listener at an unchanged address keeps the port it got. */
function bindTarget(prev: Entry | undefined, next: SnapshotListener): SnapshotListener {
  if (!prev?.bound || next.port !== 0 || prev.listener.address !== next.address) return next;
  return { ...next, port: prev.bound.port };
}

/** True when `target` binds where the predecessor is bound (a handover, not a fresh bind). */
function takesOver(prev: Entry | undefined, target: SnapshotListener): boolean {
  return prev?.bound !== undefined && prev.listener.host === target.host && prev.bound.port === target.port;
}

export class ListenerSet {
  readonly #entries = new Map<string, Entry>();
  /** Listeners rebound or removed whose connections are still finishing (stopAll waits for them). */
  readonly #retiring = new Set<BoundListener>();
  readonly #handoverGraceMs: number;
  readonly #removeGraceMs: number;
  readonly #exclusive: boolean;
  readonly #takenOver: (l: SnapshotListener) => boolean;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly start: StartListener,
    private readonly onError: (name: string, message: string) => void,
    opts: ListenerSetOptions = {},
  ) {
    this.#handoverGraceMs = opts.handoverGraceMs ?? 600_000;
    this.#removeGraceMs = opts.removeGraceMs ?? 30_000;
    this.#exclusive = opts.exclusive ?? true;
    this.#takenOver = opts.takenOver ?? (() => false);
  }

  /** Queues a reconcile with `snap`; resolves when this one (and those before) are done. */
  apply(snap: Snapshot): Promise<void> {
    this.#chain = this.#chain.then(() => this.#reconcile(snap));
    return this.#chain;
  }

  /** True when every listener of the last applied snapshot is bound. */
  ready(): boolean {
    for (const e of this.#entries.values()) if (!e.bound) return false;
    return true;
  }

  /** Listener states for /v1/status. */
  states(): { name: string; address: string; bound: boolean; active_connections?: number; udp?: UdpStatus; error?: string }[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.listener.name,
      address: e.bound ? `${e.listener.host.includes(":") ? `[${e.listener.host}]` : e.listener.host}:${e.bound.port}` : e.listener.address,
      bound: e.bound !== undefined,
      ...(e.bound ? { active_connections: e.bound.active() } : {}),
      ...(e.bound?.udp ? { udp: udpStatus(e.bound.udp) } : {}),
      ...(e.error ? { error: e.error } : {}),
    }));
  }

  /** Every bound listener's sockets, to hand to a node that upgrades this one (udp: none, it binds beside). */
  sockets(): HandedListener[] {
    return [...this.#entries.values()].flatMap((e) =>
      e.bound ? [{ name: e.listener.name, protocol: e.listener.protocol, address: e.listener.address, port: e.bound.port, fds: e.bound.fd === undefined ? [] : [e.bound.fd] }] : [],
    );
  }

  /** The bound port of `name` (port 0 listeners get theirs from the OS). */
  port(name: string): number | undefined {
    return this.#entries.get(name)?.bound?.port;
  }

  /** Open connections across all listeners, retiring ones included. */
  active(): number {
    let n = 0;
    for (const e of this.#entries.values()) n += e.bound?.active() ?? 0;
    for (const b of this.#retiring) n += b.active();
    return n;
  }

  /**
   * Stops every listener, retiring ones included: accepting ends at once, open connections and
   * requests in flight get up to `graceMs` to finish (polled), then whatever is left is closed.
   * `closed` is called once no listener accepts any more.
   */
  async stopAll(graceMs: number, closed?: () => void): Promise<void> {
    await this.#chain;
    const all = [...this.#entries.values()].map((e) => e.bound).filter((b) => b !== undefined);
    all.push(...this.#retiring);
    this.#entries.clear();
    this.#retiring.clear();
    // Each stop closes its listening socket before it returns; the drain is what it awaits.
    const stops = all.map((b) => b.stop(graceMs));
    closed?.();
    await Promise.all(stops);
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && all.some((b) => b.active() > 0)) await Bun.sleep(25);
    await Promise.all(all.map((b) => b.stop(0)));
  }

  async #reconcile(snap: Snapshot): Promise<void> {
    for (const b of this.#retiring) if (b.active() === 0) this.#retiring.delete(b);
    const wanted = new Map(snap.listeners.map((l) => [l.name, l] as const));
    // Removed ones stop accepting first: a new listener may take over their address.
    for (const [name, e] of this.#entries) {
      if (wanted.has(name)) continue;
      this.#entries.delete(name);
      if (e.bound) await this.#retire(e.bound, () => e.bound!.stop(this.#removeGraceMs));
    }
    for (const l of wanted.values()) {
      const prev = this.#entries.get(l.name);
      const key = bindingKey(l);
      if (prev?.bound && prev.key === key) {
        prev.listener = l;
        prev.error = undefined; // back to what is bound: a failed rebind's error is moot
        continue;
      }
      await this.#bind(prev, l, key);
    }
  }

  /** Binds `l`, then retires its predecessor; if binding fails, the predecessor keeps serving. */
  async #bind(prev: Entry | undefined, l: SnapshotListener, key: string): Promise<void> {
    let bound: BoundListener;
    try {
      const target = bindTarget(prev, l);
      const over = takesOver(prev, target);
      if (this.#exclusive && !over && !this.#takenOver(target)) await probeAddress(target);
      bound = await this.#start(target, over ? prev!.bound : undefined);
    } catch (err) {
      const error = (err as Error).message;
      this.onError(l.name, error);
      if (prev?.bound) prev.error = error;
      else this.#entries.set(l.name, { key, listener: l, bound: undefined, error });
      return;
    }
    this.#entries.set(l.name, { key, listener: l, bound, error: undefined });
    const old = prev?.bound;
    if (old) await this.#retire(old, () => (old.retire ? old.retire(this.#handoverGraceMs) : old.stop(this.#handoverGraceMs)));
  }

  /**
   * Starts `target`; taking over from `prev` (same address), a TCP listener accepts on a duplicate
   * of the predecessor's socket, so connections queued on it are accepted by the successor instead
   * of being reset when the predecessor closes (without net.ipv4.tcp_migrate_req). Where the socket
   * cannot be duplicated, it binds a new one beside it (reusePort).
   */
  async #start(target: SnapshotListener, prev: BoundListener | undefined): Promise<BoundListener> {
    let fd: number | undefined;
    if (prev?.fd !== undefined && target.protocol !== "udp") {
      try {
        fd = dupFd(prev.fd);
      } catch {
        fd = undefined; // no libc to duplicate with: bind beside it
      }
    }
    try {
      return await this.start(target, fd);
    } catch (err) {
      if (fd !== undefined) closeFd(fd);
      throw err;
    }
  }

  async #retire(b: BoundListener, how: () => void | Promise<void>): Promise<void> {
    this.#retiring.add(b);
    await how();
  }
}
