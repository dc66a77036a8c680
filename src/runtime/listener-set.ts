/**
 * Reconciles the bound listeners with each config snapshot: a listener whose binding settings are
 * unchanged keeps running (it reads the new snapshot per connection or request); a changed one is
 * rebound; a removed one stops, letting its connections finish. Binding failures are reported,
 * never thrown into the snapshot publisher.
 */
import type { Snapshot, SnapshotListener } from "../config/index.ts";

/** One running listener, whatever its protocol. */
export interface BoundListener {
  readonly port: number;
  active(): number;
  stop(graceMs: number): Promise<void>;
}

export type StartListener = (l: SnapshotListener) => Promise<BoundListener>;

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
    l.proxyProtocol,
    l.certificates.map((c) => [c.name, c.certPem, c.keyPem]),
    l.protocol === "tcp" || l.protocol === "udp" ? l.pool?.connectTimeoutMs : undefined,
  ]);
}

export class ListenerSet {
  readonly #entries = new Map<string, Entry>();
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly start: StartListener,
    private readonly onError: (name: string, message: string) => void,
  ) {}

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
  states(): { name: string; address: string; bound: boolean; active_connections?: number; error?: string }[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.listener.name,
      address: e.bound ? `${e.listener.host.includes(":") ? `[${e.listener.host}]` : e.listener.host}:${e.bound.port}` : e.listener.address,
      bound: e.bound !== undefined,
      ...(e.bound ? { active_connections: e.bound.active() } : {}),
      ...(e.error ? { error: e.error } : {}),
    }));
  }

  /** The bound port of `name` (port 0 listeners get theirs from the OS). */
  port(name: string): number | undefined {
    return this.#entries.get(name)?.bound?.port;
  }

  /** Open connections across all listeners. */
  active(): number {
    let n = 0;
    for (const e of this.#entries.values()) n += e.bound?.active() ?? 0;
    return n;
  }

  /**
   * Stops every listener: accepting ends at once, open connections and requests in flight get up
   * to `graceMs` to finish (polled), then whatever is left is closed.
   */
  async stopAll(graceMs: number): Promise<void> {
    await this.#chain;
    const all = [...this.#entries.values()].map((e) => e.bound).filter((b) => b !== undefined);
    this.#entries.clear();
    await Promise.all(all.map((b) => b.stop(graceMs)));
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && all.some((b) => b.active() > 0)) await Bun.sleep(25);
    await Promise.all(all.map((b) => b.stop(0)));
  }

  async #reconcile(snap: Snapshot): Promise<void> {
    const wanted = new Map(snap.listeners.map((l) => [l.name, l] as const));
    for (const [name, e] of this.#entries) {
      const next = wanted.get(name);
      if (next && bindingKey(next) === e.key && e.bound) {
        e.listener = next;
        continue;
      }
      this.#entries.delete(name);
      // Stop before rebinding: the new binding may want the same port.
      await e.bound?.stop(next ? 0 : 30_000);
    }
    for (const l of wanted.values()) {
      if (this.#entries.has(l.name)) continue;
      const entry: Entry = { key: bindingKey(l), listener: l, bound: undefined, error: undefined };
      this.#entries.set(l.name, entry);
      try {
        entry.bound = await this.start(l);
      } catch (err) {
        entry.error = (err as Error).message;
        this.onError(l.name, entry.error);
      }
    }
  }
}
