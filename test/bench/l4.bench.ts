/**
 * L4 figures: ClientHello parsing (WASM kernel through its façade, beside the TS oracle), PROXY
 * v2 parsing, and a short TCP relay throughput run on loopback (relay, client and backend share
 * this process and the machine's 2 cores, so treat it as a floor). Medians of several samples.
 */
import type { Socket } from "bun";
import { startTcpRelay } from "../../src/l4/index.ts";
import { encodeProxyV2, parseProxyHeader } from "../../src/net/index.ts";
import { parseClientHello, parseClientHelloRaw } from "../../src/wasm/index.ts";
import { hasBinary } from "../l4/helpers/peers.ts";
import { startRelayProcess } from "../l4/helpers/relay-process.ts";
import { bunTlsClient, captureHello, refragment } from "../l4/helpers/tls.ts";
import { closedLoopAfterWarmup, startFloodChild, startUdpRelayChild, udpEchoQuiet } from "../l4/helpers/udp-flood.ts";
import { startNginxUdp, udpClosedLoop, udpEchoServer } from "../l4/helpers/udp-loop.ts";
import { oracleClientHello } from "../oracles/clienthello.ts";
import { nsPerOp, type Report } from "./harness.ts";

/** Sends `bytes` of one reused 64 KiB chunk through a relay to a counting sink; MiB/s. */
async function relayThroughput(bytes: number): Promise<number> {
  const chunk = crypto.getRandomValues(new Uint8Array(65536));
  const { promise: done, resolve } = Promise.withResolvers<number>();
  let got = 0;
  const sink = Bun.listen({ hostname: "127.0.0.1", port: 0, allowHalfOpen: true, socket: {
    data: (_s, d) => void (got += d.length),
    end: () => resolve(got),
    close: () => resolve(got),
  } });
  const relay = startTcpRelay({ hostname: "127.0.0.1", port: 0, choose: () => ({ host: "127.0.0.1", port: sink.port }) });
  let sent = 0;
  let offset = 0;
  const pump = (s: Socket<undefined>): void => {
    while (sent < bytes) {
      const want = Math.min(chunk.length - offset, bytes - sent);
      const n = Math.max(s.write(chunk, offset, want), 0);
      sent += n;
      offset = (offset + n) % chunk.length;
      if (n < want) return; // the socket is full: continue on drain
    }
    s.shutdown();
  };
  try {
    const t0 = Bun.nanoseconds();
    await Bun.connect({ hostname: "127.0.0.1", port: relay.port, allowHalfOpen: true, socket: { open: pump, drain: pump, data() {} } });
    const received = await done;
    if (received !== bytes) throw new Error(`relay delivered ${received} of ${bytes} bytes`);
    return bytes / 1048576 / ((Bun.nanoseconds() - t0) / 1e9);
  } finally {
    relay.stop(true);
    sink.stop(true);
  }
}

/** 100-flow closed-loop UDP echo: direct, through our udp listener, through nginx stream udp. */
async function udpFigures(report: Report): Promise<void> {
  const echo = await udpEchoServer();
  // Our relay runs in its own process, as nginx does, so it does not share the clients' event loop.
  const relay = await startRelayProcess([{ host: "127.0.0.1", port: echo.port }], "udp");
  try {
    report({ name: "UDP echo, 100 flows closed loop, direct", value: await udpClosedLoop(echo.port, 100, 2000), unit: "datagrams/s" });
    report({ name: "UDP echo, 100 flows closed loop, via Fulcrum udp (own process)", value: await udpClosedLoop(relay.port, 100, 2000), unit: "datagrams/s" });
    if (!hasBinary("nginx")) return console.warn("skipping the nginx stream udp figure: nginx is not installed");
    const nginx = await startNginxUdp(echo.port);
    try {
      report({ name: "UDP echo, 100 flows closed loop, via nginx stream (1 worker)", value: await udpClosedLoop(nginx.port, 100, 2000), unit: "datagrams/s" });
    } finally {
      await nginx.stop();
    }
  } finally {
    await relay.stop();
    echo.stop();
  }
}

/**
 * UDP flood: 100 live flows in closed loop fill a relay's table (max_flows 100, relay in its own
 * process); a flood process then sends 10,000 datagrams/s from 1,000 new client addresses. Echo
 * rate of the live flows without the flood, with it (min_idle_ms 1,000: the flood goes stateless),
 * and with it under min_idle_ms 0 (a new client evicts whatever is oldest, as before issue 6).
 */
async function udpFloodFigures(report: Report): Promise<void> {
  const echo = await udpEchoQuiet();
  const measure = async (minIdleMs: number, flood: boolean): Promise<number> => {
    const relay = await startUdpRelayChild([{ host: "127.0.0.1", port: echo.port }], 100, minIdleMs);
    const flooder = flood ? await startFloodChild(relay.port, 1000, 10_000) : undefined;
    try {
      const rate = await closedLoopAfterWarmup(relay.port, 100, 300, 3, 500, () => flooder?.go());
      await flooder?.stop(); // first: the relay answers sooner once the flood is over
      const s = await relay.stats();
      console.log(`  udp flood (min_idle_ms ${minIdleMs}, flood ${flood}): flows ${s.flows}, created ${s.created}, evicted ${s.evicted}, stateless ${s.stateless}, dropped ${s.dropped}`);
      return rate;
    } finally {
      await flooder?.stop();
      await relay.stop();
    }
  };
  try {
    const unit = "datagrams/s";
    report({ name: "UDP flood: 100 live flows' echo rate, no flood (max_flows 100, median of 3 × 0.5 s)", value: await measure(1000, false), unit });
    report({ name: "UDP flood: same, during a flood of new flows (10k/s from 1,000 addresses), min_idle_ms 1000", value: await measure(1000, true), unit });
    report({ name: "UDP flood: same flood, min_idle_ms 0 (evict the oldest flow, live or not)", value: await measure(0, true), unit });
  } finally {
    echo.stop();
  }
}

export async function run(report: Report): Promise<void> {
  const hello = await captureHello(bunTlsClient("bench.example.com"));
  const fragmented = refragment(hello, [100]);
  const v2 = encodeProxyV2({ source: { ip: "2001:db8::10", port: 40000 }, destination: { ip: "2001:db8::1", port: 443 } });
  const loop = (fn: () => unknown) => (n: number) => {
    for (let i = 0; i < n; i++) fn();
  };
  report({
    name: `clienthello parse, ${hello.length} B one record (kernel + copy)`,
    value: nsPerOp(loop(() => parseClientHelloRaw(hello)), 200_000),
    unit: "ns/op",
    oracle: nsPerOp(loop(() => oracleClientHello(hello)), 20_000),
  });
  report({ name: "clienthello parse → {sni, alpn} (façade)", value: nsPerOp(loop(() => parseClientHello(hello)), 200_000), unit: "ns/op" });
  report({ name: `clienthello parse, ${fragmented.length} B in 100 B records`, value: nsPerOp(loop(() => parseClientHelloRaw(fragmented)), 200_000), unit: "ns/op" });
  report({ name: "PROXY v2 TCP6 header parse", value: nsPerOp(loop(() => parseProxyHeader(v2)), 200_000), unit: "ns/op" });
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) runs.push(await relayThroughput(256 * 1048576));
  runs.sort((a, b) => a - b);
  report({ name: "TCP relay, 256 MiB one way, one connection (median of 5)", value: runs[2]!, unit: "MiB/s" });
  await udpFigures(report);
  await udpFloodFigures(report);
}
