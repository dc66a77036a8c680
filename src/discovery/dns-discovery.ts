/**
 * DNS discovery for every pool that has `discovery`: one PoolWatch per pool, kept in step with
 * each snapshot the holder publishes, and the holder's overlay that puts the found backends into
 * the snapshot the node serves (the pool rebuilt with them, its selector included). Discovered
 * backends are runtime state like health: the revision does not move and nothing is stored; in a
 * cluster each node looks up for itself. Owned by the control part; nothing here runs per request.
 */
import { poolWithFound, replacePools, type Snapshot, type SnapshotHolder, type SnapshotPool } from "../config/index.ts";
import type { EventLog, Registry } from "../obs/index.ts";
import type { ResolverAddress } from "./dns-client.ts";
import type { DnsFailure } from "./dns-error.ts";
import { PoolWatch, type WatchState } from "./pool-watch.ts";
import { systemResolvers } from "./resolve.ts";

export interface DnsDiscoveryOptions {
  holder: SnapshotHolder;
  metrics: Registry;
  log: EventLog;
  /** Resolvers for a discovery that names none (default: /etc/resolv.conf's). */
  systemResolvers?: () => ResolverAddress[];
}

/** The merged pool last built for a compiled pool object at a watch version. */
interface Merged {
  base: SnapshotPool;
  version: number;
  pool: SnapshotPool;
}

export class DnsDiscovery {
  readonly #watches = new Map<string, PoolWatch>();
  readonly #merged = new Map<string, Merged>();
  readonly #unsubscribe: () => void;
  readonly #outcomes;

  constructor(private readonly opts: DnsDiscoveryOptions) {
    const m = opts.metrics;
    this.#outcomes = m.counter("fulcrum_pool_dns_lookups_total", "DNS lookups of a pool's discovery, by result (ok, or why not: nxdomain, empty, timeout, server_error, network, malformed)", ["pool", "result"]);
    m.gauge("fulcrum_pool_dns_backends", "Backends a pool found in DNS, by state (active: in the last good answer; draining: left it)", ["pool", "state"], (g) => {
      for (const [pool, w] of this.#watches) {
        const s = w.state();
        g.set(s.active, { pool, state: "active" });
        g.set(s.draining, { pool, state: "draining" });
      }
    });
    m.gauge("fulcrum_pool_dns_last_success_timestamp_seconds", "When a pool's DNS lookup last succeeded (unix seconds; 0 = never)", ["pool"], (g) => {
      for (const [pool, w] of this.#watches) g.set(w.lastSuccessMs / 1000, { pool });
    });
    this.#unsubscribe = opts.holder.subscribe((s) => this.#reconcile(s));
    const first = opts.holder.current();
    if (first) this.#reconcile(first);
    opts.holder.setOverlay((s) => this.#overlay(s));
  }

  /** Resolves when every pool's first lookup ended (either way), or after `timeoutMs`. */
  async ready(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all([...this.#watches.values()].map((w) => w.first)), late]);
    clearTimeout(timer);
  }

  /** A pool's discovery as /v1/status shows it; undefined when it has none. */
  state(pool: string): WatchState | undefined {
    return this.#watches.get(pool)?.state();
  }

  /** Stops every lookup and takes the overlay off the holder. */
  stop(): void {
    this.#unsubscribe();
    for (const w of this.#watches.values()) w.stop();
    this.#watches.clear();
    this.opts.holder.setOverlay(undefined);
  }

  /** Starts, replaces or stops watches so there is one per pool with discovery, on its current spec. */
  #reconcile(snap: Snapshot): void {
    for (const [name, w] of this.#watches) {
      const spec = snap.pools[name]?.discovery;
      if (spec && spec.key === w.spec.key) {
        if (spec !== w.spec) w.update(spec);
        continue;
      }
      w.stop();
      this.#watches.delete(name);
      this.#merged.delete(name);
    }
    for (const p of Object.values(snap.pools)) {
      if (!p.discovery || this.#watches.has(p.name)) continue;
      this.#watches.set(p.name, this.#watch(p.name, p.discovery));
    }
  }

  #watch(pool: string, spec: NonNullable<SnapshotPool["discovery"]>): PoolWatch {
    return new PoolWatch(pool, spec, {
      changed: () => this.opts.holder.refresh(),
      outcome: (result: "ok" | DnsFailure) => this.#outcomes.inc({ pool, result }),
      log: this.opts.log,
      systemResolvers: this.opts.systemResolvers ?? systemResolvers,
    });
  }

  /** The holder's overlay: each pool with found backends rebuilt with them (cached per compiled pool and watch version). */
  #overlay(compiled: Snapshot): Snapshot {
    // No pool looks names up: nothing to replace, and no walk of a thousand pools per revision.
    if (this.#watches.size === 0) return compiled;
    const replaced = new Map<string, SnapshotPool>();
    for (const p of Object.values(compiled.pools)) {
      const w = this.#watches.get(p.name);
      // A watch for another spec (the name or type just changed) has nothing to say about this one.
      if (!p.discovery || !w || w.spec.key !== p.discovery.key) continue;
      const cached = this.#merged.get(p.name);
      if (cached && cached.base === p && cached.version === w.version) {
        replaced.set(p.name, cached.pool);
        continue;
      }
      const found = w.found();
      if (found.length === 0) continue;
      try {
        const pool = poolWithFound(p, found);
        this.#merged.set(p.name, { base: p, version: w.version, pool });
        replaced.set(p.name, pool);
      } catch (e) {
        this.opts.log(`discovery: pool ${p.name}: ${(e as Error).message}; serving its configured backends`, "error", { pool: p.name });
      }
    }
    return replacePools(compiled, replaced);
  }
}
