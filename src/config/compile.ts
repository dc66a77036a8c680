/** compileSnapshot: a validated document at a revision -> one frozen Snapshot. */
import { compileListener } from "./compile-listener.ts";
import { compilePool } from "./compile-pool.ts";
import { deepFreeze } from "./deep-freeze.ts";
import { throwIfAny } from "./problems.ts";
import type { ConfigDoc } from "./schema.ts";
import type { Snapshot, SnapshotCertificate, SnapshotPool } from "./snapshot.ts";

/**
 * Compiles `doc` (already through validateConfig, with write-only keys merged back) into a frozen
 * Snapshot: references resolved to objects, defaults filled, selectors (and Maglev tables) built.
 * Runs off the hot path; hashing pools unchanged since `previous` keep its tables. Throws CONFIG_INVALID with a path when something cannot be built (a
 * certificate without its key, a selector that refuses its backends); nothing is published then.
 */
export function compileSnapshot(doc: ConfigDoc, revision: number, previous?: Snapshot): Snapshot {
  const certificates: Record<string, SnapshotCertificate> = Object.create(null);
  doc.certificates.forEach((c, i) => {
    if (c.key_pem === undefined) throwIfAny([{ path: `certificates[${i}].key_pem`, message: "required" }]);
    certificates[c.name] = { name: c.name, certPem: c.cert_pem, keyPem: c.key_pem! };
  });
  const pools: Record<string, SnapshotPool> = Object.create(null);
  doc.pools.forEach((p, i) => {
    pools[p.name] = compilePool(p, `pools[${i}]`, previous?.pools[p.name]);
  });
  const listeners = doc.listeners.map((l, i) => compileListener(l, `listeners[${i}]`, { pools, certificates }));
  return deepFreeze({ revision, listeners, pools, certificates });
}
