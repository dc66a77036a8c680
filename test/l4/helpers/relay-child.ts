/**
 * A relay in its own process, so tests can measure its memory (RSS) apart from the test's own
 * buffers and benchmarks do not share its event loop. argv[2] is JSON: { backends: [{host, port}],
 * protocol?: "tcp" | "udp", port?: N (default 0) }. Prints {"port":N} on stdout once listening;
 * runs until killed. Also usable by hand: `bun test/l4/helpers/relay-child.ts '{"port":18094,
 * "backends":[{"host":"127.0.0.1","port":18081}]}'` behind ../shared/bench/peers.sh --ours-tcp.
 */
import { startTcpRelay, startUdpRelay, type UpstreamAddress } from "../../../src/l4/index.ts";

const cfg = JSON.parse(process.argv[2] ?? "{}") as { backends: UpstreamAddress[]; protocol?: "tcp" | "udp"; port?: number };
const port = cfg.port ?? 0;
const choose = (conn: { id: number }, attempt: number) => cfg.backends[(conn.id + attempt) % cfg.backends.length];
const relay = cfg.protocol === "udp"
  ? await startUdpRelay({ hostname: "127.0.0.1", port, choose })
  : startTcpRelay({ hostname: "127.0.0.1", port, idleTimeoutMs: 30_000, choose });
console.log(JSON.stringify({ port: relay.port }));
