/**
 * Small stable integers for (pool, backend) pairs: the connection-tracking table stores a u32
 * backend index per flow, and this is the index space. Ids are never reused within a process, so
 * a flow recorded for a removed backend can never be mistaken for a new one.
 */
const ids = new Map<string, number>();
const names: string[] = [];

/** The id of `address` in `pool`, assigned on first use. */
export function backendId(pool: string, address: string): number {
  const key = `${pool}\u0000${address}`;
  let id = ids.get(key);
  if (id === undefined) {
    id = names.length;
    names.push(key);
    ids.set(key, id);
  }
  return id;
}
