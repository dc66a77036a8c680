/**
 * Zero-downtime binary upgrade. `fulcrum upgrade [--binary PATH]` asks a running node, over its
 * local control socket, to start a new binary (default: its own, as now on disk) on its listening
 * sockets; SIGUSR2 does the same with the default. The node (upgradeNode) hands its sockets over
 * (runtime/handover), waits for the new node to serve, then stops answering on its admin address,
 * drains within --drain-timeout-ms and exits 0; if the new node fails to serve, it says why and
 * serves on. The command prints the outcome and exits 0 only when the new node serves.
 */
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { LbError } from "../errors.ts";
import type { Logger } from "../obs/index.ts";
import { askControl, controlSocketPath, startSuccessor, type HandedListener, type SuccessorOutcome } from "../runtime/index.ts";
import { adminRequest, readToken } from "./admin-client.ts";
import { parseCommand, seeHelp } from "./args.ts";
import { reportError } from "./report.ts";
import { isCompiled } from "./self.ts";
import { UPGRADE } from "./specs.ts";

/** What a node's upgrade needs of it. */
export interface UpgradeSource {
  log: Logger;
  /** This node's own arguments (start ...), given to the new binary as they are. */
  args: string[];
  adminAddress: string;
  metricsAddress?: string;
  /** A cluster node's etcd lease, handed to the new node (see Handoff.lease). */
  lease?: string;
  sockets(): Promise<HandedListener[]>;
  /** Stops answering on the admin address (the new node answers there now). */
  retire(): Promise<void>;
}

/** How this program runs itself: the binary (its path as on disk), or bun with the entry file from source. */
function selfCommand(): string[] {
  const exe = process.execPath.replace(/ \(deleted\)$/, "");
  return isCompiled() ? [exe] : [exe, Bun.main];
}

/** Checks that `binary` can be run; throws LbError naming the problem. */
function runnable(binary: string): string {
  const path = resolve(binary);
  try {
    accessSync(path, constants.X_OK);
  } catch (e) {
    throw new LbError("INVALID_ARGUMENT", `--binary ${binary}: not an executable file (${(e as { code?: string }).code ?? (e as Error).message})`);
  }
  return path;
}

/** Runs one upgrade of this node to `binary`; on success its admin servers are already stopped. */
export async function upgradeNode(src: UpgradeSource, binary?: string): Promise<SuccessorOutcome> {
  let command: string[];
  try {
    command = binary === undefined ? selfCommand() : [runnable(binary)];
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
  const listeners = await src.sockets();
  const fds = listeners.reduce((n, l) => n + l.fds.length, 0);
  src.log.info(`upgrade: starting ${command.join(" ")} on this node's ${fds} listening socket(s)`, { command, sockets: fds });
  const outcome = await startSuccessor({ command: [...command, ...src.args], listeners, admin: src.adminAddress, metrics: src.metricsAddress, lease: src.lease });
  if (!outcome.ok) {
    src.log.error(`upgrade failed: ${outcome.error}; this node serves on`, { error: outcome.error });
    return outcome;
  }
  await src.retire();
  src.log.info(`upgrade: pid ${outcome.pid} (fulcrum ${outcome.version}) serves now; this node stops accepting and drains`, { pid: outcome.pid, version: outcome.version });
  return outcome;
}

/** `fulcrum upgrade [--binary PATH] [--pid PID | --admin URL]`. */
export async function upgradeCommand(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(UPGRADE, argv);
    if (positionals.length > 0) throw new LbError("INVALID_ARGUMENT", `unexpected argument "${positionals[0]}" (${seeHelp("upgrade")})`);
    if (values.binary !== undefined) runnable(values.binary);
    const pid = values.pid !== undefined ? parsePid(values.pid) : await pidOf(values.admin, await readToken(values["admin-token-file"]));
    const path = controlSocketPath(pid);
    let answer: SuccessorOutcome;
    try {
      answer = (await askControl(path, { upgrade: { ...(values.binary !== undefined ? { binary: resolve(values.binary) } : {}) } }, 120_000)) as SuccessorOutcome;
    } catch (e) {
      throw new LbError("NOT_READY", `cannot reach node ${pid} at ${path}: ${(e as Error).message} (is it running, as this user?)`);
    }
    if (!answer.ok) {
      console.error(`fulcrum upgrade: ${answer.error}; node ${pid} serves on`);
      return 1;
    }
    console.log(`upgraded: pid ${answer.pid} (fulcrum ${answer.version}) serves now; pid ${pid} drains and exits`);
    return 0;
  } catch (e) {
    return reportError("upgrade", e);
  }
}

function parsePid(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new LbError("INVALID_ARGUMENT", `--pid must be a process id, got "${v}"`);
  return n;
}

/** The pid of the node whose admin API is at `admin` (GET /v1/status). */
async function pidOf(admin: string | undefined, token: string | undefined): Promise<number> {
  const res = await adminRequest(admin, "GET", "/v1/status", { token });
  if (res.status !== 200) throw new LbError("NOT_READY", `GET /v1/status answered ${res.status}: ${res.text.slice(0, 200)}`);
  const status = res.json() as { node?: { pid?: number } } | undefined;
  if (typeof status?.node?.pid !== "number") throw new LbError("NOT_READY", "the node's /v1/status does not say its pid (a version without upgrades?); use --pid");
  return status.node.pid;
}
