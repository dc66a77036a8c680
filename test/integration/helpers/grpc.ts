/**
 * gRPC peers for the tests: Debian's /usr/bin/python3 with python3-grpcio running grpc_peer.py,
 * as a backend (a process, stopped by its PID) and as a client (one process per batch of calls).
 */
import { join } from "node:path";

const PYTHON = "/usr/bin/python3";
const PEER = join(import.meta.dir, "grpc_peer.py");

export interface GrpcBackend {
  readonly port: number;
  readonly address: string;
  stop(): void;
}

/** What a call ended with, as grpc_peer.py reports it. */
export interface GrpcOutcome {
  ok: boolean;
  messages?: string[];
  initial?: Record<string, string>;
  trailers?: Record<string, string>;
  code?: string;
  details?: string;
}

/** Starts the Python gRPC backend (TLS with `tls`); resolves once it listens. */
export async function startGrpcBackend(tls?: { certFile: string; keyFile: string }): Promise<GrpcBackend> {
  const p = Bun.spawn([PYTHON, PEER, "serve", ...(tls ? [tls.certFile, tls.keyFile] : [])], { stdout: "pipe", stderr: "inherit", stdin: "ignore" });
  const reader = p.stdout.getReader();
  let text = "";
  const deadline = Date.now() + 15_000;
  while (!/listening \d+\n/.test(text)) {
    if (Date.now() > deadline) {
      p.kill();
      throw new Error(`grpc backend did not start: ${text}`);
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`grpc backend exited: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const port = Number(/listening (\d+)/.exec(text)![1]);
  return { port, address: `127.0.0.1:${port}`, stop: () => p.kill() };
}

/** Runs `kinds` (see grpc_peer.py) through `target` ("127.0.0.1:PORT"); one outcome per kind. */
export async function grpcCalls(target: string, kinds: string[], ca?: string): Promise<GrpcOutcome[]> {
  const p = Bun.spawn([PYTHON, PEER, "call", target, kinds.join(","), ...(ca ? [ca] : [])], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => p.kill(), 30_000);
  try {
    const [out, err] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    const lines = out.split("\n").filter((l) => l !== "");
    if (lines.length !== kinds.length) throw new Error(`grpc client said ${JSON.stringify(out)}; stderr: ${err.slice(-2000)}`);
    return lines.map((l) => JSON.parse(l) as GrpcOutcome);
  } finally {
    clearTimeout(timer);
  }
}
