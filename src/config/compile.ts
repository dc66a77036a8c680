/** compileSnapshot: a validated document at a revision -> one frozen Snapshot. */
import { caOnlyCertificates } from "./certificates.ts";
import { compileListener } from "./compile-listener.ts";
import { compilePool } from "./compile-pool.ts";
import { deepFreeze } from "./deep-freeze.ts";
import { throwIfAny } from "./problems.ts";
import { relinkListener } from "./relink-listener.ts";
import type { Certificate, ConfigDoc, Listener, Pool } from "./schema.ts";
import type { Snapshot, SnapshotCertificate, SnapshotListener, SnapshotPool } from "./snapshot.ts";

/**
 * The validated object each compiled pool and listener was built from, and the certificates each
 * snapshot was: a later compile given the very same object (validateConfigReusing keeps them for
 * unchanged resources) keeps what was built from it. Objects are never modified once validated.
 */
const builtFrom = new WeakMap<SnapshotPool | SnapshotListener, Pool | Listener>();
const certificatesOf = new WeakMap<Snapshot, readonly Certificate[]>();

/**
 * Compiles `doc` (already through validateConfig, with write-only keys merged back) into a frozen
 * Snapshot: references resolved to objects, defaults filled, selectors (and Maglev tables) built.
 * Runs off the hot path; hashing pools unchanged since `previous` keep its tables, and a pool or
 * listener compiled in `previous` from the same validated object is kept (a listener whose pools
 * changed is relinked to them, as the workers do). Throws CONFIG_INVALID with a path when something
 * cannot be built (a certificate without its key, unless it is only a client_auth CA; a selector
 * that refuses its backends); nothing is published then.
 */
export function compileSnapshot(doc: ConfigDoc, revision: number, previous?: Snapshot): Snapshot {
  const fresh: Record<string, SnapshotCertificate> = Object.create(null);
  const certPems: Record<string, string> = Object.create(null);
  const caOnly = caOnlyCertificates(doc);
  doc.certificates.forEach((c, i) => {
    certPems[c.name] = c.cert_pem;
    if (c.key_pem !== undefined) fresh[c.name] = { name: c.name, certPem: c.cert_pem, keyPem: c.key_pem };
    else if (!caOnly.has(c.name)) throwIfAny([{ path: `certificates[${i}].key_pem`, message: "required" }]);
  });
  // The same certificates: the listeners built on them may be kept, and hold the same objects.
  const sameCerts = previous !== undefined && sameItems(certificatesOf.get(previous), doc.certificates);
  const certificates = sameCerts ? previous.certificates : fresh;
  const pools: Record<string, SnapshotPool> = Object.create(null);
  doc.pools.forEach((p, i) => {
    const prev = previous?.pools[p.name];
    pools[p.name] = prev !== undefined && builtFrom.get(prev) === p ? prev : built(compilePool(p, `pools[${i}]`, prev), p);
  });
  const before = sameCerts ? new Map(previous.listeners.map((l) => [l.name, l])) : undefined;
  const listeners = doc.listeners.map((l, i) => {
    const prev = before?.get(l.name);
    const kept = prev !== undefined && builtFrom.get(prev) === l ? keptListener(prev, pools) : undefined;
    return kept ?? compileListener(l, `listeners[${i}]`, { pools, certificates, certPems });
  }).map((c, i) => built(c, doc.listeners[i]!));
  const snapshot = deepFreeze({ revision, listeners, pools, certificates });
  certificatesOf.set(snapshot, doc.certificates);
  return snapshot;
}

function built<T extends SnapshotPool | SnapshotListener>(compiled: T, from: Pool | Listener): T {
  builtFrom.set(compiled, from);
  return compiled;
}

/** `l` as it is when every pool it holds is still `pools`' object, else relinked (undefined: a pool is gone). */
function keptListener(l: SnapshotListener, pools: Readonly<Record<string, SnapshotPool>>): SnapshotListener | undefined {
  const changed = new Set<string>();
  const check = (p: SnapshotPool | undefined) => {
    if (p !== undefined && pools[p.name] !== p) changed.add(p.name);
  };
  check(l.pool);
  for (const r of l.routes) check(r.pool);
  for (const s of l.sni) check(s.pool);
  return changed.size === 0 ? l : relinkListener(l, pools, changed);
}

function sameItems<T>(a: readonly T[] | undefined, b: readonly T[]): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}
