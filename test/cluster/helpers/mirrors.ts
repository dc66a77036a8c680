/**
 * Test helpers around PrefixMirror: start one over a sink with short intervals, wait (bounded) for a
 * condition, and write many sequence keys with create-only txns retried until they land — so the
 * writer itself never writes a key twice, whatever etcd does meanwhile.
 */
import { EtcdClient, MemorySink, op, PrefixMirror, when, type MirrorSink } from "../../../src/cluster/index.ts";
import { PROGRESS_INTERVAL_MS } from "./etcd.ts";

/** A client with test-sized timeouts and backoff. */
export function testClient(endpoints: string[], opts: { deadlineMs?: number } = {}): EtcdClient {
  return new EtcdClient({ endpoints, requestTimeoutMs: 1500, deadlineMs: opts.deadlineMs ?? 3000, backoff: { baseMs: 50, maxMs: 500 } });
}

/** A started mirror of `prefix`; the watchdog is 3× the test etcd's progress-notify interval. */
export function startMirror(client: EtcdClient, prefix: string, sink: MirrorSink = new MemorySink(), log?: (msg: string) => void): PrefixMirror {
  const m = new PrefixMirror({ client, prefix, sink, watchdogMs: 3 * PROGRESS_INTERVAL_MS, pageSize: 100, log });
  m.start();
  return m;
}

/** Polls `cond` every 20 ms until it is true; throws `what` after `timeoutMs`. */
export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(20);
  }
}

/** Key `i` of a sequence under `prefix`, zero-padded so keys sort in write order. */
export const seqKey = (prefix: string, i: number) => `${prefix}${String(i).padStart(6, "0")}`;

/**
 * Creates keys from..to-1 under `prefix`, `concurrency` at a time, each with a create-if-absent txn
 * retried (bounded by `deadlineMs`) until etcd answers: a retry after an unclear failure finds the
 * key already there and stops. Resolves to the highest etcd revision seen.
 */
export async function writeSequence(
  client: EtcdClient,
  prefix: string,
  from: number,
  to: number,
  opts: { concurrency?: number; deadlineMs?: number; onWrite?: (i: number) => void } = {},
): Promise<number> {
  let next = from;
  let maxRev = 0;
  const deadline = Date.now() + (opts.deadlineMs ?? 60_000);
  const worker = async () => {
    while (next < to) {
      const i = next++;
      const key = seqKey(prefix, i);
      for (;;) {
        if (Date.now() > deadline) throw new Error(`write ${key} did not land before the deadline`);
        try {
          const r = await client.txn({ compare: [when.created(key, "=", 0)], success: [op.put(key, String(i))], failure: [op.get(key)] }, { idempotent: true });
          maxRev = Math.max(maxRev, r.header.revision);
          break;
        } catch {
          await Bun.sleep(20);
        }
      }
      opts.onWrite?.(i);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 1 }, worker));
  return maxRev;
}
