import type { Snapshot, SnapshotListener } from "../../config/index.ts";

const byName = new WeakMap<Snapshot, Map<string, SnapshotListener>>();

/** The listener `name` of `snap` (a Map built once per snapshot), or undefined. */
export function listenerOf(snap: Snapshot | undefined, name: string): SnapshotListener | undefined {
  if (!snap) return undefined;
  let m = byName.get(snap);
  if (!m) {
    m = new Map(snap.listeners.map((l) => [l.name, l] as const));
    byName.set(snap, m);
  }
  return m.get(name);
}
