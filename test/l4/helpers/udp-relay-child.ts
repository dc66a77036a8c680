/**
 * A UDP relay in its own process with flow table options, for the flood benchmark: argv[2] is JSON
 * { backends: [{host, port}], maxFlows?, minIdleMs? }. Prints {"port":N} once listening, and its
 * counters as one JSON line for each "stats" line on stdin. Runs until killed.
 */
import { startUdpRelay, type UpstreamAddress } from "../../../src/l4/index.ts";

const cfg = JSON.parse(process.argv[2] ?? "{}") as { backends: UpstreamAddress[]; maxFlows?: number; minIdleMs?: number };
const relay = await startUdpRelay({
  hostname: "127.0.0.1",
  port: 0,
  maxFlows: cfg.maxFlows,
  minIdleMs: cfg.minIdleMs,
  choose: (f) => cfg.backends[f.clientPort % cfg.backends.length],
});
console.log(JSON.stringify({ port: relay.port }));
for await (const line of console) if (line.trim() === "stats") console.log(JSON.stringify(relay.stats));
