/**
 * Entry of one worker of a node (a Bun Worker; an extra entrypoint of `bun build --compile`, see
 * build/binary.ts): the data plane of startDataPlane on its own thread, with its own listening
 * sockets on the node's addresses (reusePort), fed by the control part: config deltas (rebuilt
 * here, snapshot-builder.ts), health verdicts (relayed-health.ts), the node's shared gauges and
 * rate-limit buckets. It never opens the database. Messages are handled one at a time, in order.
 */
import { SnapshotHolder } from "../../config/index.ts";
import { Registry, reopenLogFiles, type EventLog } from "../../obs/index.ts";
import { startDataPlane, type RunningDataPlane } from "../data-plane.ts";
import { faults } from "../faults.ts";
import { KeyTable } from "../shared/index.ts";
import { NodeShare } from "../shared/node-share.ts";
import type { FromWorker, HandoutTimes, ToWorker, WorkerInit } from "./protocol.ts";
import { RelayedHealth } from "./relayed-health.ts";
import { SnapshotBuilder } from "./snapshot-builder.ts";
import { StatsReporter } from "./worker-stats.ts";

declare const self: Worker;

const post = (m: FromWorker) => self.postMessage(m);
const log: EventLog = (line, level = "info", fields) => post({ t: "log", level, line, ...(fields ? { fields } : {}) });

interface State {
  init: WorkerInit;
  node: NodeShare;
  rates: KeyTable;
  holder: SnapshotHolder;
  builder: SnapshotBuilder;
  registry: Registry;
  ports: Map<string, number>;
  health: RelayedHealth | undefined;
  plane: RunningDataPlane | undefined;
  reporter: StatsReporter;
}

let st: State | undefined;
let chain: Promise<void> = Promise.resolve();

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  const received = now();
  chain = chain.then(() => handle(m, received)).catch((e: unknown) => {
    // A message this worker cannot handle is a bug: die, and be restarted from a clean state.
    log(`worker: ${(e as Error)?.stack ?? String(e)}`, "error");
    process.exit(1);
  });
};

/** ms since the epoch, as every thread sees it (HandoutTimes). */
const now = () => performance.timeOrigin + performance.now();

async function handle(m: ToWorker, received: number): Promise<void> {
  if (m.t === "init") return void (st = begin(m));
  const s = st!;
  switch (m.t) {
    case "config":
      return await configure(s, m, { received, begun: now(), done: 0 });
    case "flips":
      s.health?.apply(m.flips);
      // After the rebuilds the verdicts scheduled (next tick): then every new request sees them.
      await new Promise((r) => setTimeout(r, 0));
      return post({ t: "healthAck", seq: m.seq });
    case "passes":
      return s.health?.passed(m.passes);
    case "collect":
      if (s.plane) post({ t: "stats", seq: m.seq, stats: s.reporter.report(s.plane, s.holder.current(), s.registry, m.metrics) });
      return;
    case "fds":
      return post({ t: "fds", seq: m.seq, listeners: (await s.plane?.sockets()) ?? [] });
    case "reopenLogs":
      return post({ t: "reopened", seq: m.seq, files: reopenLogFiles() });
    case "stop":
      if (s.plane) await s.plane.stop(m.graceMs, () => post({ t: "closed" }));
      else post({ t: "closed" });
      return post({ t: "stopped" });
    default:
      return;
  }
}

function begin(init: WorkerInit): State {
  faults.enabled = init.faults;
  return {
    init,
    node: new NodeShare(init.share, init.id),
    rates: KeyTable.attach(init.rates),
    holder: new SnapshotHolder({ onSubscriberError: (e, snap) => log(`config: revision ${snap.revision} failed to apply: ${String(e)}`, "error") }),
    builder: new SnapshotBuilder(),
    registry: new Registry(),
    ports: new Map(),
    health: undefined,
    plane: undefined,
    reporter: new StatsReporter(),
  };
}

async function configure(s: State, m: Extract<ToWorker, { t: "config" }>, at: HandoutTimes): Promise<void> {
  s.node.updateSlots(m.slots);
  for (const [name, port] of Object.entries(m.ports)) s.ports.set(name, port);
  const snap = s.builder.apply(m.delta);
  s.holder.publish(snap);
  if (!s.plane) {
    try {
      s.plane = await startDataPlane({
        holder: s.holder,
        metrics: s.registry,
        log,
        worker: {
          node: s.node,
          rates: s.rates,
          checker: (onFlip, onPass) => (s.health = new RelayedHealth(onFlip, onPass)),
          portOf: (name) => s.ports.get(name),
        },
        inherited: new Map(Object.entries(s.init.inherited)),
      });
    } catch (e) {
      const details = (e as { details?: { path: string; message: string }[] }).details ?? [];
      const errors = Object.fromEntries(details.map((d) => [d.path.replace(/^listener /, ""), d.message]));
      post({ t: "applied", seq: m.seq, revision: snap.revision, ports: {}, errors: details.length > 0 ? errors : { "": String(e) }, at: { ...at, done: now() } });
      return;
    }
  } else {
    await s.plane.settled();
  }
  const ports: Record<string, number> = {};
  const errors: Record<string, string> = {};
  for (const l of snap.listeners) {
    const port = s.plane.listeners.port(l.name);
    if (l.port === 0 && port !== undefined) ports[l.name] = port;
  }
  for (const l of s.plane.listeners.states()) if (l.error) errors[l.name] = l.error;
  at.done = now();
  post({ t: "applied", seq: m.seq, revision: snap.revision, ports, errors, at });
}
