/**
 * Getting a node into the registry: a lease, then its name claimed. At start etcd may be away (the
 * node then serves from its mirror and keeps trying, with backoff, until it is registered) or the
 * name may be held by a live node (NODE_NAME_TAKEN: the caller refuses to start).
 */
import { isLbError } from "../errors.ts";
import { Backoff, sleep, type EtcdClient } from "./etcd/index.ts";
import type { LeasedKeys } from "./leased-keys.ts";
import type { NodeRegistry } from "./node-registry.ts";

export interface RegistrationState {
  registered: boolean;
  lastError: string;
}

/**
 * Takes the lease and claims the name once. Throws what failed: CLUSTER_UNAVAILABLE (etcd away),
 * NODE_NAME_TAKEN. `waitMs` bounds the wait for a record left by this node's previous life.
 */
export async function registerOnce(leased: LeasedKeys, registry: NodeRegistry, waitMs?: number, signal?: AbortSignal): Promise<void> {
  if (leased.leaseId === "0") await leased.start();
  await registry.register(waitMs, signal);
}

/**
 * Keeps trying registerOnce() until it succeeds, the name turns out taken (reported through
 * `onTaken`, then it stops), or `signal` aborts. Updates `state` as it goes.
 */
export async function registerInBackground(
  client: EtcdClient,
  leased: LeasedKeys,
  registry: NodeRegistry,
  state: RegistrationState,
  opts: { signal: AbortSignal; onTaken: (e: Error) => void; log?: (msg: string) => void },
): Promise<void> {
  const backoff = new Backoff({ ...client.backoffOptions, maxMs: Math.max(client.backoffOptions.maxMs ?? 2000, 2000) });
  while (!opts.signal.aborted) {
    try {
      await registerOnce(leased, registry, undefined, opts.signal);
      if (opts.signal.aborted) return;
      state.registered = true;
      state.lastError = "";
      opts.log?.(`registered as ${registry.current().name}`);
      return;
    } catch (e) {
      state.lastError = (e as Error).message;
      if (opts.signal.aborted) return;
      if (isLbError(e, "NODE_NAME_TAKEN")) {
        opts.onTaken(e as Error);
        return;
      }
      await sleep(backoff.next(), opts.signal);
    }
  }
}
