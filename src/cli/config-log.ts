/**
 * Logs every config revision a running node publishes, with what changed on one line (the
 * history's summary: who wrote it and the diff, "PUT /v1/config: pool app: backend 10.0.0.3:80
 * added"), and at start the warnings `fulcrum validate` would print for the running config.
 */
import type { SnapshotHolder } from "../config/index.ts";
import type { Logger } from "../obs/index.ts";
import type { Store } from "../store/index.ts";
import { configWarnings } from "./config-warnings.ts";

/** Logs each later revision the holder publishes; returns the unsubscribe function. */
export function logConfigChanges(store: Store, holder: SnapshotHolder, log: Logger): () => void {
  let last = holder.current()?.revision ?? 0;
  return holder.subscribe((s) => {
    if (s.revision === last) return;
    last = s.revision;
    const entry = store.history(20).find((e) => e.revision === s.revision);
    const change = entry?.summary;
    // In a cluster, which node took the write.
    const on = entry?.node ? ` (written on ${entry.node})` : "";
    log.info(`config: revision ${s.revision} applied${on}${change ? `: ${change}` : ""}`, { revision: s.revision, change, ...(entry?.node ? { node: entry.node } : {}) });
  });
}

/** Logs the stored config's warnings (a route that can never match, an expiring certificate, ...). */
export function logConfigWarnings(store: Store, log: Logger): void {
  const { revision, doc } = store.read();
  for (const w of configWarnings(doc)) log.warn(`config: warning: ${w.path}: ${w.message}`, { revision, path: w.path });
}
