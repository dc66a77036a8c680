/**
 * One pool's DNS lookups: looked up again after its interval or its answer's TTL, whichever is
 * sooner, never sooner than MIN_REFRESH_MS; a backend that appears is added, one that leaves the
 * answer drains for `drainMs` before it is dropped (it may come back meanwhile). A failed or
 * empty answer changes nothing: the last good set stays, and the failure is logged and counted.
 * Runs on timers in the control part; the data plane only ever sees the snapshot it leads to.
 */
import { foundAddress, type FoundBackend, type SnapshotDiscovery } from "../config/index.ts";
import type { EventLog } from "../obs/index.ts";
import type { ResolverAddress } from "./dns-client.ts";
import { DnsError, type DnsFailure } from "./dns-error.ts";
import { resolveDiscovery, type Target } from "./resolve.ts";

/** Shortest gap between lookups of one pool, whatever the TTL says (dnsmasq's hosts answer with TTL 0). */
export const MIN_REFRESH_MS = 1000;
/** A repeated failure is logged again after this long even when its message is the same. */
const RELOG_MS = 60_000;

/** Told what happened, so the owner can count it and republish. */
export interface WatchHooks {
  /** The found set changed: republish. */
  changed(): void;
  /** One lookup ended: "ok" or why not. */
  outcome(result: "ok" | DnsFailure): void;
  log: EventLog;
  /** The resolvers to ask when the spec names none. */
  systemResolvers(): ResolverAddress[];
}

/** What /v1/status shows of a pool's discovery. */
export interface WatchState {
  dns: string;
  type: string;
  active: number;
  draining: number;
  lookups: number;
  failures: number;
  last_lookup?: string;
  last_success?: string;
  last_error?: string;
}

export class PoolWatch {
  /** Bumped whenever `found()` would answer differently. */
  version = 0;
  lastSuccessMs = 0;
  readonly #active = new Map<string, Target>();
  readonly #draining = new Map<string, { target: Target; until: number }>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #lookups = 0;
  #failures = 0;
  #lastLookupMs = 0;
  #lastError: string | undefined;
  #lastLogged: { message: string; at: number } | undefined;
  /** Settles when the first lookup ended, either way. */
  readonly first: Promise<void>;
  #firstDone!: () => void;

  constructor(readonly pool: string, public spec: SnapshotDiscovery, private readonly hooks: WatchHooks) {
    this.first = new Promise((resolve) => (this.#firstDone = resolve));
    void this.#tick();
  }

  /** A new spec with the same key (interval, drain time or weight changed): used from the next lookup on. */
  update(spec: SnapshotDiscovery): void {
    const reweighted = spec.weight !== this.spec.weight && spec.type !== "SRV";
    this.spec = spec;
    if (reweighted) this.#bump();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** The backends found: those in the last good answer (active) and those draining out of it. */
  found(): FoundBackend[] {
    const weight = (t: Target) => (this.spec.type === "SRV" ? t.weight : this.spec.weight);
    const out: FoundBackend[] = [];
    for (const t of this.#active.values()) out.push({ host: t.host, port: t.port, weight: weight(t), state: "active" });
    for (const { target: t } of this.#draining.values()) out.push({ host: t.host, port: t.port, weight: weight(t), state: "draining" });
    return out;
  }

  state(): WatchState {
    const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : undefined);
    return {
      dns: this.spec.name,
      type: this.spec.type,
      active: this.#active.size,
      draining: this.#draining.size,
      lookups: this.#lookups,
      failures: this.#failures,
      ...(iso(this.#lastLookupMs) ? { last_lookup: iso(this.#lastLookupMs) } : {}),
      ...(iso(this.lastSuccessMs) ? { last_success: iso(this.lastSuccessMs) } : {}),
      ...(this.#lastError !== undefined ? { last_error: this.#lastError } : {}),
    };
  }

  async #tick(): Promise<void> {
    const spec = this.spec;
    let next = spec.intervalMs;
    const resolvers = spec.resolvers.length > 0 ? spec.resolvers : this.hooks.systemResolvers();
    try {
      const res = await resolveDiscovery(spec, resolvers);
      if (this.#stopped) return;
      this.#succeeded(res.targets);
      next = Math.max(Math.min(MIN_REFRESH_MS, spec.intervalMs), Math.min(spec.intervalMs, res.ttlMs));
    } catch (e) {
      if (this.#stopped) return;
      this.#failed(e instanceof DnsError ? e : new DnsError("network", (e as Error).message ?? String(e)));
    } finally {
      this.#lookups++;
      this.#lastLookupMs = Date.now();
      this.#firstDone();
    }
    this.#expire(Date.now());
    this.#schedule(next);
  }

  #schedule(afterMs: number): void {
    if (this.#stopped) return;
    let wait = afterMs;
    const now = Date.now();
    // A drain that ends before the next lookup is ended on time.
    for (const d of this.#draining.values()) wait = Math.min(wait, Math.max(0, d.until - now));
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#expire(Date.now()) && wait < afterMs) this.#schedule(afterMs - wait);
      else void this.#tick();
    }, wait);
  }

  #succeeded(targets: readonly Target[]): void {
    this.lastSuccessMs = Date.now();
    this.hooks.outcome("ok");
    if (this.#lastError !== undefined) this.hooks.log(`discovery: pool ${this.pool}: ${this.#what()} answers again (${targets.length} address(es))`, "info", { pool: this.pool, dns: this.spec.name });
    this.#lastError = undefined;
    this.#lastLogged = undefined;
    const now = Date.now();
    const seen = new Set<string>();
    let changed = false;
    for (const t of targets) {
      const key = keyOf(t);
      seen.add(key);
      const before = this.#active.get(key);
      if (before && before.weight === t.weight) continue;
      this.#active.set(key, t);
      changed = true;
      if (!before && !this.#draining.delete(key)) this.#note(`${key} added`, key);
      else if (!before) this.#note(`${key} is back in the answer`, key);
    }
    for (const [key, t] of this.#active) {
      if (seen.has(key)) continue;
      this.#active.delete(key);
      this.#draining.set(key, { target: t, until: now + this.spec.drainMs });
      changed = true;
      this.#note(`${key} left the answer; draining for ${this.spec.drainMs} ms`, key);
    }
    if (changed) this.#bump();
  }

  #failed(e: DnsError): void {
    this.#failures++;
    this.#lastError = e.message;
    this.hooks.outcome(e.reason);
    const now = Date.now();
    const last = this.#lastLogged;
    if (last && last.message === e.message && now - last.at < RELOG_MS) return;
    this.#lastLogged = { message: e.message, at: now };
    const kept = this.#active.size;
    this.hooks.log(
      `discovery: pool ${this.pool}: lookup of ${this.#what()} failed (${e.reason}): ${e.message}; keeping the last ${kept} backend(s) found`,
      "warn",
      { pool: this.pool, dns: this.spec.name, reason: e.reason },
    );
  }

  /** Drops drains that ended; true when any did (and republishes). */
  #expire(now: number): boolean {
    let any = false;
    for (const [key, d] of this.#draining) {
      if (d.until > now) continue;
      this.#draining.delete(key);
      any = true;
      this.#note(`${key} removed (drained)`, key);
    }
    if (any) this.#bump();
    return any;
  }

  #bump(): void {
    this.version++;
    if (!this.#stopped) this.hooks.changed();
  }

  #what(): string {
    return `${this.spec.name} (${this.spec.type})`;
  }

  #note(what: string, backend: string): void {
    this.hooks.log(`discovery: pool ${this.pool}: ${what} (dns ${this.#what()})`, "info", { pool: this.pool, backend, dns: this.spec.name });
  }
}

function keyOf(t: Target): string {
  return foundAddress(t.host, t.port);
}
