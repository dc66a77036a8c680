/**
 * Closed-loop UDP echo load for benchmarks: `flows` client sockets each send a datagram, wait for
 * its echo, send the next; a lost datagram is resent after 50 ms. Returns echoes per second.
 */
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./peers.ts";

export async function udpClosedLoop(port: number, flows: number, ms: number): Promise<number> {
  const payload = Buffer.alloc(64, 1);
  let replies = 0;
  let running = true;
  const socks = await Promise.all(Array.from({ length: flows }, async () => {
    const s = dgram.createSocket("udp4");
    s.on("error", () => {}); // ICMP unreachable while a peer restarts: the resend timer covers it
    await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
    const state = { s, sentAt: 0 };
    s.on("message", () => {
      replies++;
      if (!running) return;
      state.sentAt = performance.now();
      s.send(payload, port, "127.0.0.1");
    });
    return state;
  }));
  const resend = setInterval(() => {
    const now = performance.now();
    for (const st of socks) if (now - st.sentAt > 50) (st.sentAt = now), st.s.send(payload, port, "127.0.0.1");
  }, 20);
  const start = performance.now();
  for (const st of socks) (st.sentAt = start), st.s.send(payload, port, "127.0.0.1");
  await Bun.sleep(ms);
  running = false;
  const rate = replies / ((performance.now() - start) / 1000);
  clearInterval(resend);
  for (const st of socks) st.s.close();
  return rate;
}

/** A UDP echo server; stop() closes it. */
export async function udpEchoServer(): Promise<{ port: number; stop(): void }> {
  const s = dgram.createSocket("udp4");
  s.on("message", (m, r) => s.send(m, r.port, r.address));
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  return { port: s.address().port, stop: () => s.close() };
}

/** nginx (1 worker) as a stream UDP proxy to `backendPort`; resolves once it echoes. */
export async function startNginxUdp(backendPort: number): Promise<{ port: number; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-nginx-udp-"));
  const port = freePort();
  const conf = `load_module /usr/lib/nginx/modules/ngx_stream_module.so;\ndaemon off;\nmaster_process off;\n` +
    `pid ${dir}/nginx.pid;\nerror_log stderr warn;\nevents {}\nstream {\n  server {\n` +
    `    listen 127.0.0.1:${port} udp;\n    proxy_pass 127.0.0.1:${backendPort};\n    proxy_responses 1;\n    proxy_timeout 30s;\n  }\n}\n`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  const proc = Bun.spawn(["nginx", "-p", dir, "-e", "stderr", "-c", join(dir, "nginx.conf")], { stdout: "ignore", stderr: "ignore" });
  const stop = async (): Promise<void> => {
    proc.kill();
    await proc.exited;
  };
  const probe = dgram.createSocket("udp4");
  let ok = false;
  probe.on("message", () => (ok = true));
  for (let i = 0; i < 100 && !ok; i++) {
    probe.send("probe", port, "127.0.0.1");
    await Bun.sleep(30);
  }
  probe.close();
  if (!ok) {
    await stop();
    throw new Error("nginx stream udp did not start");
  }
  return { port, stop };
}
