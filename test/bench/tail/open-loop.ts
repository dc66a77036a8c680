/**
 * Runs the open-loop generator (open-loop-child.ts) in its own process, so nothing the bench
 * process does (its GC, its timers) delays a request, and reads its figures back.
 */
import { join } from "node:path";

/** What one open-loop run measured (latencies in ms, from each request's due time). */
export interface OpenLoopFigures {
  sent: number;
  completed: number;
  errors: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** How late the generator itself dispatched (p99, max): large values mean the load was not paced. */
  lagP99: number;
  lagMax: number;
}

/** `rate` requests a second for `seconds` to http://127.0.0.1:`port`/ over `connections` keep-alive connections. */
export async function openLoop(port: number, rate: number, seconds: number, connections = 32): Promise<OpenLoopFigures> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "open-loop-child.ts"), String(port), String(rate), String(seconds), String(connections)], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const guard = setTimeout(() => proc.kill("SIGKILL"), (seconds + 30) * 1000);
  try {
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`open-loop generator against port ${port} exited ${code ?? proc.signalCode}:\n${out}${err}`);
    return JSON.parse(out.trim().split("\n").at(-1)!) as OpenLoopFigures;
  } finally {
    clearTimeout(guard);
  }
}
