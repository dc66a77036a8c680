/**
 * Pieces of the UDP flood benchmark: a relay process with flow table options (udp-relay-child.ts),
 * a flood process (udp-flood-child.ts), and a closed-loop echo measured after a warm-up, so the
 * flood can start once the live flows fill the table. Every process here is stopped by PID.
 */
import dgram from "node:dgram";
import { join } from "node:path";
import type { UdpRelayStats, UpstreamAddress } from "../../../src/l4/index.ts";

/** A child process that speaks JSON / text lines on stdout and takes commands on stdin. */
interface Child {
  pid: number;
  /** Writes `cmd` and resolves with the next stdout line. */
  ask(cmd: string): Promise<string>;
  send(cmd: string): void;
  stop(): Promise<void>;
}

async function spawnChild(file: string, arg: unknown): Promise<{ child: Child; first: string }> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, file), JSON.stringify(arg)], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, FULCRUM_WASM: process.env.FULCRUM_WASM ?? "release" },
  });
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const line = async (): Promise<string> => {
    const deadline = Date.now() + 10_000;
    while (!text.includes("\n")) {
      if (Date.now() > deadline) throw new Error(`${file}: no output line in time`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`${file} exited`);
      text += decoder.decode(value, { stream: true });
    }
    const i = text.indexOf("\n");
    const out = text.slice(0, i);
    text = text.slice(i + 1);
    return out;
  };
  const send = (cmd: string): void => {
    proc.stdin.write(`${cmd}\n`);
    proc.stdin.flush();
  };
  const child: Child = {
    pid: proc.pid,
    send,
    ask: (cmd) => (send(cmd), line()),
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
  return { child, first: await line() };
}

/** A UDP relay in its own process; `stats()` reads its counters. */
export async function startUdpRelayChild(backends: UpstreamAddress[], maxFlows: number, minIdleMs: number) {
  const { child, first } = await spawnChild("udp-relay-child.ts", { backends, maxFlows, minIdleMs });
  const { port } = JSON.parse(first) as { port: number };
  return { port, stats: async () => JSON.parse(await child.ask("stats")) as UdpRelayStats, stop: child.stop };
}

/** A flood of new clients (`sockets` source ports, `rate` datagrams/s), armed; `go()` starts it. */
export async function startFloodChild(port: number, sockets: number, rate: number) {
  const { child } = await spawnChild("udp-flood-child.ts", { port, sockets, rate });
  return { go: () => child.send("go"), stop: child.stop };
}

/**
 * `flows` clients in closed loop (send, await the echo, send again; resend after 50 ms). After
 * `warmupMs` (every flow open by then) `onWarm` runs, then echoes are counted over `windows`
 * windows of `ms`: the median echoes/s.
 */
export async function closedLoopAfterWarmup(
  port: number, flows: number, warmupMs: number, windows: number, ms: number, onWarm: () => void,
): Promise<number> {
  const payload = Buffer.alloc(64, 1);
  let replies = 0;
  let running = true;
  const socks = await Promise.all(Array.from({ length: flows }, async () => {
    const s = dgram.createSocket("udp4");
    s.on("error", () => {}); // ICMP unreachable: the resend timer covers it
    await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
    const st = { s, sentAt: 0 };
    s.on("message", () => {
      replies++;
      if (!running) return;
      st.sentAt = performance.now();
      s.send(payload, port, "127.0.0.1");
    });
    return st;
  }));
  const resend = setInterval(() => {
    const now = performance.now();
    for (const st of socks) if (now - st.sentAt > 50) (st.sentAt = now), st.s.send(payload, port, "127.0.0.1");
  }, 20);
  for (const st of socks) (st.sentAt = performance.now()), st.s.send(payload, port, "127.0.0.1");
  await Bun.sleep(warmupMs);
  onWarm();
  const rates: number[] = [];
  for (let w = 0; w < windows; w++) {
    const before = replies;
    const start = performance.now();
    await Bun.sleep(ms);
    rates.push((replies - before) / ((performance.now() - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  running = false;
  clearInterval(resend);
  for (const st of socks) st.s.close();
  return rates[rates.length >> 1]!;
}

/** A UDP echo server that ignores ICMP errors (its peers come and go); stop() closes it. */
export async function udpEchoQuiet(): Promise<{ port: number; stop(): void }> {
  const s = dgram.createSocket("udp4");
  s.on("error", () => {}); // a relay's sockets closed under a reply: nothing to do
  s.on("message", (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  return { port: s.address().port, stop: () => s.close() };
}
