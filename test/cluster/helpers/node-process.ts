/**
 * Spawns test/cluster/fixtures/node-process.ts (a registered stand-in node) and tracks it by PID;
 * killNodeProcesses() in afterAll ends whatever is left.
 */
import { join } from "node:path";

const SCRIPT = join(import.meta.dir, "..", "fixtures", "node-process.ts");
const live = new Set<NodeProcess>();


export interface NodeProcess {
  pid: number;
  output(): string;
  /** Resolves with the first match of `re` in the output (rejects after `timeoutMs` or on exit). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  signal(sig: NodeJS.Signals): void;
  exited: Promise<number>;
}

export function spawnNode(endpoints: string[], name: string, ttlS: number, root?: string): NodeProcess {
  const args = [process.execPath, SCRIPT, endpoints.join(","), name, String(ttlS), ...(root ? [root] : [])];
  const proc = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let text = "";
  const decoder = new TextDecoder();
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([drain(proc.stdout), drain(proc.stderr)]);
  const node: NodeProcess = {
    pid: proc.pid,
    output: () => text,
    exited: proc.exited.then(async (code) => {
      await drained;
      live.delete(node);
      return code;
    }),
    signal: (sig) => {
      if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid, sig);
    },
    async waitFor(re, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = text.match(re);
        if (m) return m;
        if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`no ${re} within ${timeoutMs} ms; output:\n${text}`);
        await Bun.sleep(20);
      }
    },
  };
  live.add(node);
  return node;
}

/** SIGKILLs every node process still running (frozen ones included) and waits for them. */
export async function killNodeProcesses(): Promise<void> {
  const all = [...live];
  for (const n of all) n.signal("SIGKILL");
  await Promise.all(all.map((n) => n.exited));
}
