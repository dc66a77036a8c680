/**
 * Control part: questions put to every worker at once (counters, listening sockets, reopened
 * logs). Each is posted with a sequence number; a worker's answer calls the handle's waiter for
 * it (worker-set.ts), a worker that dies answers nothing and is let go, and the whole is bounded
 * in time so one stuck worker never holds up /metrics or an upgrade.
 */
import type { HandedListener } from "../handover/handoff.ts";
import type { ToWorker } from "./protocol.ts";
import type { WorkerHandle } from "./worker-handle.ts";

/** Posts `ask` (numbered `seq`) to each of `handles`; resolves when all answered or `timeoutMs` passed. */
export async function askAll(handles: readonly WorkerHandle[], seq: number, ask: ToWorker, timeoutMs: number): Promise<void> {
  const answers = handles.map((h) => new Promise<void>((done) => {
    h.waiting.set(seq, done);
    h.post(ask);
  }));
  await within(answers, timeoutMs);
  for (const h of handles) h.waiting.delete(seq);
}

/** Resolves when every one of `answers` has, or after `timeoutMs`. */
export async function within(answers: Promise<void>[], timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([Promise.all(answers), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
  clearTimeout(timer);
}

/** The listening sockets the workers reported, by listener (one descriptor per worker that holds one). */
export function mergeSockets(handles: readonly WorkerHandle[]): HandedListener[] {
  const out = new Map<string, HandedListener>();
  for (const h of handles) {
    for (const l of h.sockets) {
      const had = out.get(l.name);
      if (had) had.fds.push(...l.fds);
      else out.set(l.name, { ...l, fds: [...l.fds] });
    }
  }
  return [...out.values()];
}
