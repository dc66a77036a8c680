/**
 * The scale bench's client processes (client-child.ts): started together, each with its share of
 * the connections and its own range of source addresses; `ready()` resolves when each has served
 * and holds its connections, `closed()` reads how many held ones closed since, `stop()` ends them
 * by PID (SIGTERM, then SIGKILL).
 */
import { join } from "node:path";

/** Clients holding connections. */
export interface ClientSet {
  /** Resolves with opened, failed and the slowest client's time to open (ms). */
  ready(timeoutMs: number): Promise<{ opened: number; failed: number; ms: number }>;
  closed(): number;
  stop(): Promise<void>;
}

interface One {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
  ready: Promise<{ opened: number; failed: number; ms: number }>;
  closed: number;
}

function startOne(args: object): One {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "client-child.ts"), JSON.stringify(args)], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const one: One = { proc, closed: 0, ready: Promise.resolve({ opened: 0, failed: 0, ms: 0 }) };
  one.ready = (async () => {
    const decoder = new TextDecoder();
    let text = "";
    let readyLine: { opened: number; failed: number; ms: number } | undefined;
    const reader = proc.stdout.getReader();
    const pump = async (): Promise<void> => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = text.indexOf("\n")) >= 0) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          const [word, a, b, c] = line.split(" ");
          if (word === "ready") readyLine = { opened: Number(a), failed: Number(b), ms: Number(c) };
          if (word === "closed") one.closed = Number(a);
        }
      }
    };
    const pumping = pump();
    while (!readyLine) {
      if (proc.exitCode !== null) throw new Error(`client ${proc.pid} exited ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      await Promise.race([pumping, Bun.sleep(100)]);
    }
    return readyLine;
  })();
  return one;
}

/** Starts `clients` processes sharing `count` connections to `port`, 64 source addresses each. */
export function startClients(port: number, count: number, clients: number, inflight: number): ClientSet {
  const share = Math.ceil(count / clients);
  const all: One[] = [];
  for (let k = 0; k < clients; k++) {
    const n = Math.min(share, count - k * share);
    if (n > 0) all.push(startOne({ port, count: n, firstSource: k * 64, sources: 64, inflight }));
  }
  const stop = async (): Promise<void> => {
    for (const c of all) if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
    for (const c of all) {
      const done = await Promise.race([c.proc.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
      if (!done) c.proc.kill("SIGKILL");
    }
  };
  return {
    async ready(timeoutMs) {
      const timeout = Bun.sleep(timeoutMs).then(() => {
        throw new Error(`clients not ready within ${timeoutMs} ms`);
      });
      const each = await Promise.race([Promise.all(all.map((c) => c.ready)), timeout]);
      return { opened: each.reduce((s, r) => s + r.opened, 0), failed: each.reduce((s, r) => s + r.failed, 0), ms: Math.max(...each.map((r) => r.ms)) };
    },
    closed: () => all.reduce((s, c) => s + c.closed, 0),
    stop,
  };
}
