/**
 * Shared health: each node publishes its own active-check verdict per backend under its lease, on
 * transitions only (not every probe), so a dead node's votes vanish with it. Every node reads all
 * votes from a mirror of the `health/` prefix and derives the same cluster verdict (verdict.ts).
 */
import { text, type KeyValue } from "./etcd/index.ts";
import type { ClusterKeys } from "./keys.ts";
import type { LeasedKeys } from "./leased-keys.ts";

/** One node's verdict on one backend. */
export interface Vote {
  node: string;
  pool: string;
  address: string;
  healthy: boolean;
  /** ISO 8601 UTC of the transition. */
  at: string;
  reason?: string;
}

/** Publishes this node's verdicts; repeated verdicts cost nothing (only transitions are written). */
export class HealthPublisher {
  private readonly last = new Map<string, boolean>();

  constructor(
    private readonly leased: LeasedKeys,
    private readonly keys: ClusterKeys,
    private readonly node: string,
  ) {}

  /** Records this node's verdict on a backend; returns true when it was a transition (a write). */
  publish(pool: string, address: string, healthy: boolean, reason?: string): boolean {
    const key = this.keys.vote(this.node, pool, address);
    if (this.last.get(key) === healthy) return false;
    this.last.set(key, healthy);
    const value: Omit<Vote, "node" | "pool" | "address"> = { healthy, at: new Date().toISOString() };
    if (reason) value.reason = reason;
    this.leased.set(key, JSON.stringify(value));
    return true;
  }

  /** This node no longer checks the backend (removed, or its pool's check was turned off). */
  forget(pool: string, address: string): void {
    const key = this.keys.vote(this.node, pool, address);
    if (this.last.delete(key)) this.leased.delete(key);
  }
}

/** Every vote in a mirror of the `health/` prefix; entries that do not parse are skipped. */
export function decodeVotes(entries: readonly KeyValue[], keys: ClusterKeys): Vote[] {
  const out: Vote[] = [];
  for (const kv of entries) {
    if (!kv.key.startsWith(keys.health)) continue;
    const rest = kv.key.slice(keys.health.length);
    // node and pool names cannot hold "/"; the address is the rest (IPv6 brackets, ports, anything).
    const a = rest.indexOf("/");
    const b = a < 0 ? -1 : rest.indexOf("/", a + 1);
    if (b < 0) continue;
    try {
      const v = JSON.parse(text(kv.value)) as { healthy?: unknown; at?: unknown; reason?: unknown };
      if (typeof v.healthy !== "boolean") continue;
      const vote: Vote = { node: rest.slice(0, a), pool: rest.slice(a + 1, b), address: rest.slice(b + 1), healthy: v.healthy, at: String(v.at ?? "") };
      if (typeof v.reason === "string") vote.reason = v.reason;
      out.push(vote);
    } catch {
      // Not a vote (written by something else): ignored rather than trusted.
    }
  }
  return out;
}
