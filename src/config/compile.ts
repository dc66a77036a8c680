/** compileSnapshot: a validated document at a revision -> one frozen Snapshot. */
import { caOnlyCertificates } from "./certificates.ts";
import { compileListener } from "./compile-listener.ts";
import { compilePool } from "./compile-pool.ts";
import { deepFreeze } from "./deep-freeze.ts";
import { throwIfAny } from "./problems.ts";
import type { ConfigDoc } from "./schema.ts";
import type { Snapshot, SnapshotCertificate, SnapshotPool } from "./snapshot.ts";

/**
 * Compiles `doc` (already through validateConfig, with write-only keys merged back) into a frozen
 * Snapshot: references resolved to objects, defaults filled, selectors (and Maglev tables) built.
 * Runs off the hot path; hashing pools unchanged since `previous` keep its tables. Throws
 * CONFIG_INVALID with a path when something cannot be built (a certificate without its key, unless
 * it is only a client_auth CA; a selector that refuses its backends); nothing is published then.
 */
export function compileSnapshot(doc: ConfigDoc, revision: number, previous?: Snapshot): Snapshot {
  const certificates: Record<string, SnapshotCertificate> = Object.create(null);
  const certPems: Record<string, string> = Object.create(null);
  const caOnly = caOnlyCertificates(doc);
  doc.certificates.forEach((c, i) => {
    certPems[c.name] = c.cert_pem;
    if (c.key_pem !== undefined) certificates[c.name] = { name: c.name, certPem: c.cert_pem, keyPem: c.key_pem };
    else if (!caOnly.has(c.name)) throwIfAny([{ path: `certificates[${i}].key_pem`, message: "required" }]);
  });
  const pools: Record<string, SnapshotPool> = Object.create(null);
  doc.pools.forEach((p, i) => {
    pools[p.name] = compilePool(p, `pools[${i}]`, previous?.pools[p.name]);
  });
  const listeners = doc.listeners.map((l, i) => compileListener(l, `listeners[${i}]`, { pools, certificates, certPems }));
  return deepFreeze({ revision, listeners, pools, certificates });
}
