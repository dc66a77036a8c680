/**
 * What a running node does on each signal an operator or a tool sends it by habit:
 * SIGTERM/SIGINT drain and stop (exit 0), SIGHUP reloads the `--config` file, SIGUSR1 reopens the
 * log files (logrotate's postrotate), SIGUSR2 upgrades to the binary on disk (as nginx's and
 * HAProxy's): once the new node serves on the handed-over sockets, this one drains and exits 0;
 * if it does not, this one serves on. SIGHUP and SIGUSR1 never touch a connection. A second stop
 * signal during the drain changes nothing: script runners (bun run) pass Ctrl-C on to a child
 * that got it already, and a default action then would cut the drain short.
 */
import type { Logger } from "../obs/index.ts";
import type { SuccessorOutcome } from "../runtime/index.ts";

/** What the handlers act on. */
export interface SignalTargets {
  log: Logger;
  drainMs: number;
  /** Drains and stops the node. */
  stop(graceMs: number): Promise<void>;
  /** Re-reads and applies the config file; undefined when the node was started without one. */
  reload?: () => Promise<void>;
  /** Writes out and reopens every access log file (every worker's); resolves to their paths. */
  reopenLogs(): Promise<string[]>;
  /** Starts `binary` (default: this node's own, as on disk) on this node's sockets; resolves once it serves, or with why not. */
  upgrade?: (binary?: string) => Promise<SuccessorOutcome>;
}

/** A running node's signal handling: `running` never resolves (the process exits from the stop handler). */
export interface SignalControl {
  running: Promise<never>;
  /** An upgrade (SIGUSR2 does the same with the default binary); on success this node drains and exits 0. */
  upgrade(binary?: string): Promise<SuccessorOutcome>;
}

/** Installs the handlers. */
export function handleSignals(t: SignalTargets): SignalControl {
  let stopping = false;
  let upgrading = false;
  // Reloads run one at a time, in the order the signals came.
  let reloading = Promise.resolve();
  const shutdown = (signal: string) => {
    if (stopping) return t.log.info(`${signal}: already stopping (SIGKILL ends the process at once)`, { signal });
    stopping = true;
    const started = performance.now();
    t.log.info(`${signal}: draining (up to ${t.drainMs} ms for requests and connections in flight), then stopping`, { signal, drain_timeout_ms: t.drainMs });
    // Exit explicitly: a data plane socket left open must not keep a stopped node alive.
    void t.stop(t.drainMs).then(
      () => {
        const ms = Math.round(performance.now() - started);
        t.log.info(`stopped in ${ms} ms; exiting 0`, { signal, stop_ms: ms });
        process.exit(0);
      },
      (e) => {
        t.log.error(`stopping failed: ${(e as Error)?.message ?? String(e)}`, { signal });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGHUP", () => {
    if (stopping) return t.log.info("SIGHUP: stopping; nothing reloaded", { signal: "SIGHUP" });
    if (!t.reload) return t.log.info("SIGHUP: nothing to reload (started without --config)", { signal: "SIGHUP" });
    reloading = reloading.then(t.reload);
  });
  const upgrade = async (binary?: string): Promise<SuccessorOutcome> => {
    if (!t.upgrade) return { ok: false, error: "this node cannot upgrade" };
    if (stopping) return { ok: false, error: "the node is stopping" };
    if (upgrading) return { ok: false, error: "an upgrade is already running" };
    upgrading = true;
    try {
      const outcome = await t.upgrade(binary);
      if (outcome.ok) shutdown("upgrade");
      return outcome;
    } finally {
      upgrading = false;
    }
  };
  process.on("SIGUSR2", () => void upgrade());
  process.on("SIGUSR1", () => {
    void t.reopenLogs().then((files) => {
      t.log.info(files.length > 0 ? `SIGUSR1: reopened ${files.join(", ")}` : "SIGUSR1: no log file open to reopen", { signal: "SIGUSR1", files });
    });
  });
  return { running: new Promise<never>(() => {}), upgrade };
}
