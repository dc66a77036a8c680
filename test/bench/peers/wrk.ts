/**
 * One wrk run (`wrk -t1 -cN -dS --latency`) against a loopback port, parsed into req/s, p50, p99
 * and the error lines wrk prints (socket errors, non-2xx/3xx). The run is bounded: wrk is killed
 * by its PID if it outlives its duration by 20 s.
 */

/** What one wrk run measured. */
export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** wrk's "Socket errors" / "Non-2xx or 3xx responses" lines; empty when the run was clean. */
  errors: string[];
  /** Requests wrk completed. */
  requests: number;
}

/** wrk prints latencies as `812.00us`, `1.23ms`, `1.01s`, `2.00m`: to milliseconds. */
export function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) throw new Error(`unreadable wrk latency "${v}"`);
  const n = Number(m[1]);
  const unit = m[2];
  return unit === "us" ? n / 1000 : unit === "ms" ? n : unit === "s" ? n * 1000 : n * 60_000;
}

/** Parses wrk's `--latency` output; throws with the output when a figure is missing. */
export function parseWrk(out: string): WrkResult {
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s*50%\s+(\S+)/m.exec(out);
  const p99 = /^\s*99%\s+(\S+)/m.exec(out);
  const requests = /(\d+) requests in/.exec(out);
  if (!rps || !p50 || !p99 || !requests) throw new Error(`wrk output without req/s or latency percentiles:\n${out}`);
  const errors = out.split("\n").filter((l) => /Socket errors|Non-2xx/.test(l)).map((l) => l.trim());
  return { rps: Number(rps[1]), p50Ms: toMs(p50[1]!), p99Ms: toMs(p99[1]!), errors, requests: Number(requests[1]) };
}

/** Runs wrk for `seconds` with `connections` on one thread against http://127.0.0.1:`port`/. */
export async function runWrk(port: number, seconds: number, connections = 64): Promise<WrkResult> {
  const proc = Bun.spawn(["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/`], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const guard = setTimeout(() => proc.kill("SIGKILL"), (seconds + 20) * 1000);
  try {
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`wrk against port ${port} exited ${code ?? proc.signalCode}:\n${out}${err}`);
    return parseWrk(out + err);
  } finally {
    clearTimeout(guard);
  }
}
