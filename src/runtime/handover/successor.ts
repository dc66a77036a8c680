/**
 * The old node's side of an upgrade: starts the new binary as a child with this node's listening
 * sockets as its inherited descriptors (3, 4, ...: the same sockets, with every connection queued
 * on them, so no port is closed and no SYN refused at any moment) and the hand-over described in
 * FULCRUM_UPGRADE, then waits for it to say it serves (an IPC message once its admin API and
 * every worker are up). It fails, and the old node serves on, when the child exits first, or is
 * not ready in time (then it is killed). Its stdout and stderr are the old node's, so its log
 * continues where the old one's stops.
 */
import { HANDOFF_ENV, type Handoff, type HandedListener } from "./handoff.ts";

/** What the child says once it serves. */
export interface ReadyMessage {
  t: "ready";
  pid: number;
  version: string;
}

export interface SuccessorOptions {
  /** The program and its arguments (e.g. ["/usr/local/bin/fulcrum", "start", ...]). */
  command: string[];
  /** The old node's sockets (its own descriptor numbers). */
  listeners: HandedListener[];
  admin: string;
  metrics?: string;
  /** A cluster node's lease (see Handoff.lease). */
  lease?: string;
  /** How long the child may take to serve (default 60 s). */
  timeoutMs?: number;
}

export type SuccessorOutcome = { ok: true; pid: number; version: string } | { ok: false; error: string };

/** The upgrade waiting for its new node to serve (one at a time per node). */
let waiting: ((m: ReadyMessage) => void) | undefined;

/** The new node says it serves (over the control socket); true when an upgrade was waiting for it. */
export function successorReady(m: ReadyMessage): boolean {
  if (!waiting) return false;
  waiting(m);
  return true;
}

/**
 * Starts the successor and resolves once it serves (it says so over IPC or this node's control
 * socket: successorReady), or with why it does not.
 */
export async function startSuccessor(o: SuccessorOptions): Promise<SuccessorOutcome> {
  const fds: number[] = [];
  const listeners = o.listeners.map((l) => ({ ...l, fds: l.fds.map((fd) => 3 + fds.push(fd) - 1) }));
  const handoff: Handoff = { from: process.pid, admin: o.admin, ...(o.metrics ? { metrics: o.metrics } : {}), listeners, ...(o.lease ? { lease: o.lease } : {}) };
  let ready: (m: ReadyMessage) => void = () => {};
  const said = new Promise<ReadyMessage>((r) => (ready = r));
  waiting = (m) => ready(m);
  let child: Bun.Subprocess;
  try {
    child = Bun.spawn(o.command, {
      stdio: ["ignore", "inherit", "inherit", ...fds],
      env: { ...process.env, [HANDOFF_ENV]: JSON.stringify(handoff) },
      ipc(m: ReadyMessage) {
        if (m?.t === "ready") ready(m);
      },
    });
  } catch (e) {
    return { ok: false, error: `cannot start ${o.command[0]}: ${(e as Error).message}` };
  }
  const timeoutMs = o.timeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    said.then((m): SuccessorOutcome => ({ ok: true, pid: m.pid, version: m.version })),
    child.exited.then((code): SuccessorOutcome => ({ ok: false, error: `the new node (pid ${child.pid}) exited with ${child.signalCode ?? `code ${code}`} before it served` })),
    new Promise<SuccessorOutcome>((r) => (timer = setTimeout(() => r({ ok: false, error: `the new node (pid ${child.pid}) did not serve within ${timeoutMs} ms; it was killed` }), timeoutMs))),
  ]);
  clearTimeout(timer);
  waiting = undefined;
  if (!outcome.ok && child.exitCode === null) child.kill("SIGKILL");
  // The child outlives this node: its exit is not this node's business, and neither is its IPC channel.
  if (outcome.ok) {
    child.unref();
    child.disconnect?.();
  }
  return outcome;
}
