/**
 * Idle keep-alive connections held by a Fulcrum node (its own process, one http listener in front
 * of one backend): opens `count` client connections in batches, each sends one `GET /` and reads
 * the whole answer (so it was really served and now sits idle in keep-alive), then reads the
 * node's VmRSS. Reports RSS before, RSS with them held, and the increment per connection, and
 * checks the node still counts them open (/v1/status active_connections) before closing them.
 */
import type { Socket } from "bun";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../l4/helpers/peers.ts";
import type { Report } from "../harness.ts";
import { fulcrumYaml } from "./configs.ts";
import { openFilesLimit, startFulcrumChild, vmRssKiB, waitHttp200 } from "./procs.ts";

const REQUEST = Buffer.from("GET / HTTP/1.1\r\nHost: bench.local\r\n\r\n");
const ANSWER_TIMEOUT_MS = 10_000;
/** fds a process needs beside the held connections (listeners, upstream, stdio, admin, timers). */
const FD_MARGIN = 200;

/** True once `buf` holds one full 200 answer with a Content-Length body; throws on anything else. */
function complete(buf: string): boolean {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return false;
  if (!buf.startsWith("HTTP/1.1 200")) throw new Error(`answer was not 200: ${buf.slice(0, 80)}`);
  const len = /\r\ncontent-length:\s*(\d+)/i.exec(buf.slice(0, end));
  if (!len) throw new Error(`answer without Content-Length: ${buf.slice(0, end)}`);
  return buf.length >= end + 4 + Number(len[1]);
}

/** One connection: open, one request, the full answer; resolves with the (now idle) socket. */
function openServed(port: number, closed: { n: number }): Promise<Socket> {
  const { promise, resolve, reject } = Promise.withResolvers<Socket>();
  let buf = "";
  let done = false;
  const timer = setTimeout(() => reject(new Error(`no full answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
  const settle = (s: Socket | null, e?: unknown) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    if (s) resolve(s);
    else reject(e);
  };
  Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => void s.write(REQUEST),
      data(s, d) {
        buf += d.toString("latin1");
        try {
          if (complete(buf)) settle(s);
        } catch (e) {
          settle(null, e);
        }
      },
      close() {
        closed.n++;
        settle(null, new Error("closed before the full answer"));
      },
      error: (_s, e) => settle(null, e),
    },
  }).catch((e: unknown) => settle(null, e));
  return promise;
}

async function activeConnections(adminUrl: string): Promise<number> {
  const res = await fetch(`${adminUrl}/v1/status`, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as { listeners: { name: string; active_connections?: number }[] };
  return body.listeners.find((l) => l.name === "http")?.active_connections ?? -1;
}

/** How many connections the fd limits allow (this process and the node each hold one fd per connection). */
function fdBudget(wanted: number, nodePid: number): number {
  const mine = openFilesLimit("self"), node = openFilesLimit(nodePid);
  const fits = Math.min(mine, node) - FD_MARGIN;
  if (fits >= wanted) return wanted;
  console.warn(`  !! open-files limits block ${wanted} connections: bench ${mine}, node ${node}; holding ${fits} instead (raise ulimit -n)`);
  return Math.max(0, fits);
}

/** Runs the idle-connection measurement; `dir` holds the temp config, `backendPort` is any 200 backend. */
export async function idleConnections(report: Report, dir: string, backendPort: number, wanted = 10_000, batch = 200): Promise<void> {
  const port = freePort();
  const cfg = join(dir, "fulcrum-idle.yaml");
  // A long idle timeout: the first connections must outlive opening all the others.
  writeFileSync(cfg, fulcrumYaml(port, null, [backendPort], 300_000));
  const node = await startFulcrumChild(cfg);
  const sockets: Socket[] = [];
  const closed = { n: 0 };
  try {
    await waitHttp200(port, node);
    const count = fdBudget(wanted, node.pid);
    await Bun.sleep(1000);
    const before = vmRssKiB(node.pid);
    const t0 = performance.now();
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      const opened = await Promise.allSettled(Array.from({ length: n }, () => openServed(port, closed)));
      for (const o of opened) if (o.status === "fulfilled") sockets.push(o.value);
      const failed = opened.find((o) => o.status === "rejected");
      if (failed) throw new Error(`connection ${i + 1}..${i + n} of ${count}: ${String(failed.reason)} (${sockets.length} served so far)`);
    }
    const openMs = performance.now() - t0;
    await Bun.sleep(1000);
    const held = vmRssKiB(node.pid);
    const active = await activeConnections(node.node.url);
    console.log(`  ${count} connections served and held in ${(openMs / 1000).toFixed(1)} s; node reports ${active} active, client saw ${closed.n} closed`);
    if (closed.n > 0 || active < count) console.warn(`  !! not all ${count} connections are still open (node: ${active}, closed at client: ${closed.n})`);
    report({ name: "idle: node VmRSS before", value: before / 1024, unit: "MiB" });
    report({ name: `idle: node VmRSS with ${count} idle keep-alive conns`, value: held / 1024, unit: "MiB", target: "<= 150 MiB at 10000" });
    report({ name: "idle: VmRSS increment per connection", value: count > 0 ? (held - before) / count : 0, unit: "KiB" });
    report({ name: "idle: connections the node reports open", value: active, unit: "conns", target: `${count}` });
  } finally {
    for (const s of sockets) s.end();
    await node.stop();
  }
}
