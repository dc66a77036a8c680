/**
 * Open L4 connections per backend, for /v1/status (and so for the dashboard, which reads it every
 * second). Counting means scanning a listener's whole connection table (~0.3 ms at 65,536 slots):
 * one scan per listener counts every backend at once, and that count answers every backend asked
 * about in the same synchronous read (a status answer asks for them all in one go), instead of
 * one scan per backend per listener. The next read counts afresh.
 */
import type { ConnTrack } from "../../wasm/index.ts";
import { backendId } from "../pools/backend-ids.ts";

/** Returns a counter over the live set `listeners` (read at each recount). */
export function l4ConnectionCounter(listeners: Iterable<{ readonly conntrack: ConnTrack }>): (pool: string, address: string) => number {
  let counts = new Uint32Array(0);
  let fresh = false;
  return (pool, address) => {
    const id = backendId(pool, address);
    if (!fresh || id >= counts.length) {
      counts = new Uint32Array(Math.max(64, id + 1, counts.length));
      const part = new Uint32Array(counts.length);
      for (const l of listeners) {
        l.conntrack.countByBackend(part);
        for (let i = 0; i < part.length; i++) counts[i]! += part[i]!;
      }
      fresh = true;
      // Valid until the current task ends: a read that comes later (another request) counts again.
      queueMicrotask(() => (fresh = false));
    }
    return counts[id]!;
  };
}
