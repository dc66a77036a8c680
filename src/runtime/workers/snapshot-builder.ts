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

  /** The snapshot after `json` (a ConfigDelta); throws what a compile throws (the control part compiled it already). */
  apply(json: string): Snapshot {
    const parsed = JSON.parse(json) as ConfigDelta;
    if (parsed.order) this.#order = parsed.order;
    const d = { ...parsed, order: this.#order };
    const changedPools = new Set(Object.keys(d.pools));
    for (const [name, list] of Object.entries(d.found ?? {})) {
      if (list === null || list.length === 0) this.#found.delete(name);
      else this.#found.set(name, list);
      changedPools.add(name);
    }
    const changedCerts = new Set(Object.keys(d.certificates));
    for (const [name, text] of Object.entries(d.certificates)) {
      const c = JSON.parse(text) as Certificate;
      this.#certPems.set(name, c.cert_pem);
      if (c.key_pem !== undefined) this.#certificates.set(name, Object.freeze({ name: c.name, certPem: c.cert_pem, keyPem: c.key_pem }));
      else this.#certificates.delete(name);
    }
    prune(this.#certificates, d.order.certificates, changedCerts);
    prune(this.#certPems, d.order.certificates, changedCerts);
    d.order.pools.forEach((name, i) => {
      const text = d.pools[name];
      if (text !== undefined) this.#bases.set(name, deepFreeze(compilePool(JSON.parse(text) as Pool, `pools[${i}]`)));
      if (!changedPools.has(name)) return;
      const base = this.#bases.get(name)!;
      const found = this.#found.get(name);
      this.#pools.set(name, found ? poolWithFound(base, found) : base);
    });
    prune(this.#bases, d.order.pools, new Set());
    prune(this.#found, d.order.pools, new Set());
    prune(this.#pools, d.order.pools, changedPools);
    const pools: Record<string, SnapshotPool> = Object.create(null);
    for (const name of d.order.pools) pools[name] = this.#pools.get(name)!;
    const certificates: Record<string, SnapshotCertificate> = Object.create(null);
    const certPems: Record<string, string> = Object.create(null);
    for (const name of d.order.certificates) {
      const c = this.#certificates.get(name);
      if (c) certificates[name] = c;
      certPems[name] = this.#certPems.get(name)!;
    }
    const listeners = d.order.listeners.map((name, i) => this.#listener(name, i, d.listeners[name], { pools, certificates, certPems }, changedPools, changedCerts));
    for (const name of this.#listeners.keys()) if (!d.order.listeners.includes(name)) this.#listeners.delete(name);
    // Reused parts are frozen already: freeze the new containers, not a walk over a thousand pools.
    return Object.freeze({ revision: d.revision, listeners: Object.freeze(listeners), pools: Object.freeze(pools), certificates: Object.freeze(certificates) });
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

/** Drops entries not in `order` (removed resources); `changed` marks them so their users recompile. */
function prune<T>(m: Map<string, T>, order: readonly string[], changed: Set<string>): void {
  if (m.size === order.length) return;
  const keep = new Set(order);
  for (const name of m.keys()) {
    if (keep.has(name)) continue;
    m.delete(name);
    changed.add(name);
  }
}
