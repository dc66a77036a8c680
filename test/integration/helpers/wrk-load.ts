/**
 * wrk as a load in an integration test: started in the background against a loopback port
 * (keep-alive, or a new connection per request with `close`), parsed when it ends into the
 * requests it completed and every error it saw. Bounded: killed by its PID 20 s past its duration.
 */

export interface WrkLoad {
  requests: number;
  /** Socket errors by kind (connect, read, write, timeout), and responses outside 2xx/3xx. */
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  non2xx: number;
  output: string;
}

/** Parses wrk's summary (errors absent from it are 0). */
export function parseWrkLoad(out: string): WrkLoad {
  const requests = /(\d+) requests in/.exec(out);
  if (!requests) throw new Error(`wrk output without a request count:\n${out}`);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests: Number(requests[1]),
    connectErrors: Number(sock?.[1] ?? 0),
    readErrors: Number(sock?.[2] ?? 0),
    writeErrors: Number(sock?.[3] ?? 0),
    timeouts: Number(sock?.[4] ?? 0),
    non2xx: Number(non2xx?.[1] ?? 0),
    output: out,
  };
}

/** Starts `wrk -t1 -cN -dS` on http://127.0.0.1:`port`/; `close` sends `Connection: close` (a new connection per request). */
export function startWrk(port: number, seconds: number, connections: number, close = false): Promise<WrkLoad> {
  const args = ["wrk", "-t1", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", ...(close ? ["-H", "Connection: close"] : []), `http://127.0.0.1:${port}/`];
  const proc = Bun.spawn(args, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const guard = setTimeout(() => proc.kill("SIGKILL"), (seconds + 20) * 1000);
  return Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]).then(([out, err, code]) => {
    clearTimeout(guard);
    if (code !== 0) throw new Error(`wrk exited ${code ?? proc.signalCode}:\n${out}${err}`);
    return parseWrkLoad(out + err);
  });
}
