/**
 * Controllable HTTP backends for resilience tests: a Bun.serve on loopback that answers with its
 * tag, can be told to fail health checks, answer 500s or answer slowly, and can be killed and
 * restarted on the same port (what a crashed-then-restarted process looks like to a balancer).
 */
import type { Server } from "bun";

export interface TestBackend {
  readonly tag: string;
  readonly port: number;
  readonly address: string;
  /** Requests answered on non-health paths since the start. */
  hits: number;
  /** Health probes (GET /healthz) seen. */
  probes: number;
  /** Decides the /healthz status for probe number `n` (1-based); default 200. */
  healthStatus: (n: number) => number;
  /** Status for ordinary requests; default 200. */
  status: number;
  /** Delay before answering ordinary requests, in ms. */
  delayMs: number;
  /** True while listening. */
  readonly up: boolean;
  /** Stops listening and closes every connection at once (a crash). */
  kill(): void;
  /** Listens again on the same port. */
  restart(): void;
}

/** Starts a backend on 127.0.0.1 (port 0 unless `port` is given). */
export function startBackend(tag: string, port = 0): TestBackend {
  let server: Server<unknown> | undefined;
  const b = {
    tag,
    port,
    address: "",
    hits: 0,
    probes: 0,
    healthStatus: (_n: number) => 200,
    status: 200,
    delayMs: 0,
    get up() {
      return server !== undefined;
    },
    kill() {
      server?.stop(true);
      server = undefined;
    },
    restart() {
      if (server) return;
      server = listen(b.port);
    },
  };
  const listen = (p: number): Server<unknown> =>
    Bun.serve({
      hostname: "127.0.0.1",
      port: p,
      idleTimeout: 30,
      async fetch(req) {
        if (new URL(req.url).pathname === "/healthz") {
          b.probes++;
          return new Response("ok\n", { status: b.healthStatus(b.probes) });
        }
        b.hits++;
        if (b.delayMs > 0) await Bun.sleep(b.delayMs);
        return new Response(b.tag, { status: b.status });
      },
    });
  server = listen(port);
  b.port = server.port!;
  b.address = `127.0.0.1:${b.port}`;
  return b;
}
