/**
 * A relay in its own process, so tests can measure its memory (RSS) apart from the test's own
 * buffers. argv[2] is JSON: { backends: [{host, port}], idleTimeoutMs? }. Prints {"port":N} on
 * stdout once listening; runs until killed.
 */
import { startTcpRelay, type UpstreamAddress } from "../../../src/l4/index.ts";

const cfg = JSON.parse(process.argv[2] ?? "{}") as { backends: UpstreamAddress[]; idleTimeoutMs?: number };
const relay = startTcpRelay({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeoutMs: cfg.idleTimeoutMs ?? 30_000,
  choose: (conn, attempt) => cfg.backends[(conn.id + attempt) % cfg.backends.length],
});
console.log(JSON.stringify({ port: relay.port }));
