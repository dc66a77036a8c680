/**
 * Worker side of the config hand-out: rebuilds the Snapshot from each ConfigDelta, compiling only
 * what changed (a pool whose JSON changed; a listener whose JSON changed or that names a changed
 * certificate) and reusing the frozen objects of the rest. A listener that only names a changed
 * pool is relinked, not compiled: its routes that hold that pool get the new object, the others
 * stay (relinkListener), so one pool of a listener's 200 routes costs one route. A reused SnapshotPool is the
 * very object the previous snapshot held, which lets the pool registry skip it too. A pool with
 * backends found in DNS (the control part looks them up) is rebuilt with them, as the control
 * part's overlay does. The document was validated once, in the control part; nothing here
 * validates again.
 */
import {
  compileListener,
  compilePool,
  deepFreeze,
  poolWithFound,
  relinkListener,
  type Certificate,
  type FoundBackend,
  type Listener,
  type Pool,
  type Snapshot,
  type SnapshotCertificate,
  type SnapshotListener,
  type SnapshotPool,
} from "../../config/index.ts";
import { notePoolChanges } from "../pools/pool-changes.ts";
import type { ConfigDelta } from "./protocol.ts";

/** The names a listener refers to: pools (default, routes, SNI rules) and certificates. */
function references(l: Listener): { pools: string[]; certificates: string[] } {
  const pools = [l.pool, ...(l.routes ?? []).map((r) => r.pool), ...(l.sni ?? []).map((s) => s.pool)].filter((p): p is string => p !== undefined);
  const certificates = [...(l.tls?.certificates ?? []), ...(l.client_auth?.ca !== undefined ? [l.client_auth.ca] : [])];
  return { pools, certificates };
}

export class SnapshotBuilder {
  /** Pools as compiled from the config, and as served (with found backends, when they have any). */
  readonly #bases = new Map<string, SnapshotPool>();
  readonly #pools = new Map<string, SnapshotPool>();
  readonly #found = new Map<string, FoundBackend[]>();
  readonly #listeners = new Map<string, { doc: Listener; refs: { pools: string[]; certificates: string[] }; compiled: SnapshotListener }>();
  readonly #certificates = new Map<string, SnapshotCertificate>();
  /** Every certificate's PEM, CA-only ones (no key: a listener's client_auth.ca) too. */
  readonly #certPems = new Map<string, string>();
  #order: Required<ConfigDelta>["order"] = { listeners: [], pools: [], certificates: [] };
  /** Each pool's index in the document (for a compile error's path), as of the last order. */
  #poolIndex = new Map<string, number>();
  /** The pools of the last snapshot built: the next one copies it and replaces what changed. */
  #lastPools: Readonly<Record<string, SnapshotPool>> | undefined;

  /**
   * The snapshot after `json` (a ConfigDelta); throws what a compile throws (the control part
   * compiled it already). Apart from one copy of the pool table, the work is that of the resources
   * that changed: a delta without `order` removes nothing, so nothing else is visited.
   */
  apply(json: string): Snapshot {
    const d = JSON.parse(json) as ConfigDelta;
    const reordered = d.order !== undefined;
    if (d.order) {
      this.#order = d.order;
      this.#poolIndex = new Map(d.order.pools.map((name, i) => [name, i]));
    }
    const changedPools = new Set(Object.keys(d.pools));
    for (const name in d.found) {
      const list = d.found[name];
      if (list === null || list === undefined || list.length === 0) this.#found.delete(name);
      else this.#found.set(name, list);
      changedPools.add(name);
    }
    const changedCerts = this.#applyCertificates(d.certificates, reordered);
    this.#applyPools(d.pools, changedPools, reordered);
    const pools = this.#poolTable(changedPools, reordered);
    const certificates: Record<string, SnapshotCertificate> = Object.create(null);
    const certPems: Record<string, string> = Object.create(null);
    for (const name of this.#order.certificates) {
      const c = this.#certificates.get(name);
      if (c) certificates[name] = c;
      certPems[name] = this.#certPems.get(name)!;
    }
    const listeners = this.#order.listeners.map((name, i) => this.#listener(name, i, d.listeners[name], { pools, certificates, certPems }, changedPools, changedCerts));
    if (reordered) for (const name of this.#listeners.keys()) if (!this.#order.listeners.includes(name)) this.#listeners.delete(name);
    // Reused parts are frozen already: freeze the new containers, not a walk over a thousand pools.
    return Object.freeze({ revision: d.revision, listeners: Object.freeze(listeners), pools, certificates: Object.freeze(certificates) });
  }

  /** Takes in the certificates of a delta; returns the names changed (removed ones too). */
  #applyCertificates(texts: Record<string, string>, reordered: boolean): Set<string> {
    const changed = new Set(Object.keys(texts));
    for (const name in texts) {
      const c = JSON.parse(texts[name]!) as Certificate;
      this.#certPems.set(name, c.cert_pem);
      if (c.key_pem !== undefined) this.#certificates.set(name, Object.freeze({ name: c.name, certPem: c.cert_pem, keyPem: c.key_pem }));
      else this.#certificates.delete(name);
    }
    if (reordered) {
      const keep = new Set(this.#order.certificates);
      prune(this.#certificates, keep, changed);
      prune(this.#certPems, keep, changed);
    }
    return changed;
  }

  /** Compiles the pools of a delta and serves each changed one (with its found backends); `changed` gains the removed. */
  #applyPools(texts: Record<string, string>, changed: Set<string>, reordered: boolean): void {
    for (const name in texts) {
      this.#bases.set(name, deepFreeze(compilePool(JSON.parse(texts[name]!) as Pool, `pools[${this.#poolIndex.get(name) ?? -1}]`)));
    }
    if (reordered) {
      prune(this.#bases, this.#poolIndex, new Set());
      prune(this.#found, this.#poolIndex, new Set());
      prune(this.#pools, this.#poolIndex, changed);
    }
    for (const name of changed) {
      const base = this.#bases.get(name);
      if (base === undefined) continue; // removed
      const found = this.#found.get(name);
      this.#pools.set(name, found ? poolWithFound(base, found) : base);
    }
  }

  /** The pools by name in document order: the last table with the changed ones replaced, or built afresh after a reorder. */
  #poolTable(changed: ReadonlySet<string>, reordered: boolean): Readonly<Record<string, SnapshotPool>> {
    const last = this.#lastPools;
    if (last !== undefined && !reordered && changed.size === 0) return last;
    const pools: Record<string, SnapshotPool> = Object.create(null);
    if (last === undefined || reordered) {
      for (const name of this.#order.pools) pools[name] = this.#pools.get(name)!;
    } else {
      // Without a reorder no pool came or went: copying the table (a native copy of a thousand
      // references, ~50 µs) keeps document order.
      Object.assign(pools, last);
      for (const name of changed) {
        const p = this.#pools.get(name);
        if (p !== undefined) pools[name] = p;
      }
    }
    Object.freeze(pools);
    // The pool registry then rebuilds what changed without walking the thousand that did not.
    if (last !== undefined && !reordered) notePoolChanges(pools, last, changed);
    return (this.#lastPools = pools);
  }

  #listener(
    name: string,
    i: number,
    text: string | undefined,
    r: { pools: Record<string, SnapshotPool>; certificates: Record<string, SnapshotCertificate>; certPems: Record<string, string> },
    changedPools: ReadonlySet<string>,
    changedCerts: ReadonlySet<string>,
  ): SnapshotListener {
    const had = this.#listeners.get(name);
    if (had && text === undefined && !had.refs.certificates.some((c) => changedCerts.has(c))) {
      if (!had.refs.pools.some((p) => changedPools.has(p))) return had.compiled;
      const relinked = relinkListener(had.compiled, r.pools, changedPools);
      if (relinked) {
        had.compiled = relinked;
        return relinked;
      }
    }
    const doc = text !== undefined ? (JSON.parse(text) as Listener) : had!.doc;
    const compiled = deepFreeze(compileListener(doc, `listeners[${i}]`, r));
    this.#listeners.set(name, { doc, refs: references(doc), compiled });
    return compiled;
  }
}

/** Drops entries whose name `keep` lacks (removed resources); `changed` marks them so their users recompile. */
function prune<T>(m: Map<string, T>, keep: { has(name: string): boolean }, changed: Set<string>): void {
  for (const name of m.keys()) {
    if (keep.has(name)) continue;
    m.delete(name);
    changed.add(name);
  }
}
