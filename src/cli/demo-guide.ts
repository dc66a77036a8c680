/**
 * The guide `fulcrum demo` prints once everything listens: what runs where, then numbered curl
 * commands to paste into another terminal. Every command is printed exactly as it works (the test
 * runs them through a shell), with the real ports.
 */
import { DEMO_HASH_HEADER, DEMO_NAMES } from "./demo-config.ts";
import { selfCommand } from "./self.ts";

/** What the guide shows. */
export interface DemoGuideInput {
  proxyUrl: string;
  adminUrl: string;
  /** True when the admin API wants FULCRUM_ADMIN_TOKEN as a bearer token. */
  adminAuth: boolean;
  backends: readonly { name: string; address: string }[];
  /** The backend the example key lands on (the one the guide suggests crashing). */
  victim: { name: string; address: string };
  /** The example hash key. */
  key: string;
  dbPath: string;
  downSeconds: number;
}

/** Returns the guide text (no trailing newline). */
export function demoGuide(g: DemoGuideInput): string {
  const keyed = `curl -s -H '${DEMO_HASH_HEADER}: ${g.key}' ${g.proxyUrl}/`;
  const loop = `for i in $(seq 6); do ${keyed}; done`;
  const where = g.dbPath === ":memory:" ? "in memory (nothing is written to disk)" : `in ${g.dbPath}`;
  const admin = g.adminAuth ? `curl -s -H "Authorization: Bearer $FULCRUM_ADMIN_TOKEN"` : "curl -s";
  const pad = Math.max(...g.backends.map((b) => b.name.length));
  return [
    `Fulcrum demo is running (pid ${process.pid}); its config lives ${where}.`,
    ``,
    `  proxy     ${g.proxyUrl}   listener "${DEMO_NAMES.listener}": /api/* -> pool "${DEMO_NAMES.pool}" (rewritten to /*), everything else -> the same pool`,
    `  pool      "${DEMO_NAMES.pool}": Maglev, hashing on the ${DEMO_HASH_HEADER} header (no header: any backend)`,
    `            health checks GET /healthz every 1 s: out after 2 failures, back after 2 passes`,
    `            retries on connect failure or reset, so a dying backend costs no request`,
    ...g.backends.map((b, i) => `  ${i === 0 ? "backends" : "        "}  ${b.name.padEnd(pad)}  http://${b.address}`),
    `  admin     ${g.adminUrl}`,
    ``,
    `Try these in another terminal:`,
    ``,
    `  1. A request through the proxy (run it a few times: no ${DEMO_HASH_HEADER} header, any backend answers):`,
    `     curl -s ${g.proxyUrl}/`,
    `  2. Six requests with the same key: Maglev sends "${g.key}" to one backend every time (${g.victim.name}):`,
    `     ${loop}`,
    `  3. The /api route: the backend sees /api/hello as /hello:`,
    `     curl -s ${g.proxyUrl}/api/hello`,
    `  4. What the node sees: backend health and request counts, then Prometheus metrics:`,
    `     ${admin} ${g.adminUrl}/v1/status`,
    `     ${admin} ${g.adminUrl}/metrics | grep fulcrum_backend`,
    `  5. Crash ${g.victim.name}, the backend that serves "${g.key}" (it stops listening for ${g.downSeconds} s, then comes back):`,
    `     curl -s -X POST http://${g.victim.address}/admin/crash`,
    `  6. Ask again: "${g.key}" moves to another backend and no request fails (watch the health lines here);`,
    `     after ${g.downSeconds} s and two passing checks, it moves back to ${g.victim.name}:`,
    `     ${loop}`,
    ``,
    `The config is an ordinary one; this prints it as YAML:`,
    `     ${selfCommand()} export --admin ${g.adminUrl}`,
    `Stop the demo with Ctrl-C.`,
  ].join("\n");
}
