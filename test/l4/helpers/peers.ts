/**
 * Third-party peers for L4 tests (HAProxy, nginx) run as child processes on loopback. Ports:
 * neither can bind port 0 and report it, so a free port is found by binding 0 in Bun and closing.
 * Every process is stopped by its PID through the returned handle.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** True when `bin` is on PATH (tests skip, with a reason, only when it is not). */
export function hasBinary(bin: string): boolean {
  return Bun.which(bin) !== null;
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

/** Resolves once something accepts TCP on `port` (polls every 20 ms for up to `ms`). */
export async function waitForPort(port: number, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {}, error() {} } })
      .then((s) => (s.end(), true))
      .catch(() => false);
    if (ok) return;
    await Bun.sleep(20);
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${ms} ms`);
}

/** A running peer process. */
export interface Peer {
  port: number;
  stop(): Promise<void>;
  stderr(): Promise<string>;
}

async function startPeer(argv: string[], port: number): Promise<Peer> {
  const proc = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe" });
  const stop = async (): Promise<void> => {
    proc.kill();
    await proc.exited;
  };
  try {
    await waitForPort(port);
  } catch (e) {
    await stop();
    throw new Error(`${argv[0]} did not start: ${await new Response(proc.stderr).text()}`, { cause: e });
  }
  return { port, stop, stderr: () => new Response(proc.stderr).text() };
}

/** HAProxy (foreground) with `body` appended after a minimal global/defaults section. */
export function startHaproxy(body: (port: number) => string, mode = "http"): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-haproxy-"));
  const port = freePort();
  const cfg = `global\n  maxconn 1000\ndefaults\n  mode ${mode}\n  timeout connect 2s\n  timeout client 10s\n  timeout server 10s\n${body(port)}\n`;
  writeFileSync(join(dir, "haproxy.cfg"), cfg);
  return startPeer(["haproxy", "-db", "-f", join(dir, "haproxy.cfg")], port);
}

/** nginx in the foreground with its prefix in a temp dir; `http` is the http {} block's body. */
export function startNginx(http: (port: number) => string): Promise<Peer> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-nginx-"));
  const port = freePort();
  const cfg = `daemon off;\nmaster_process off;\npid ${dir}/nginx.pid;\nerror_log stderr warn;\nevents {}\n` +
    `http {\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n${http(port)}\n}\n`;
  writeFileSync(join(dir, "nginx.conf"), cfg);
  return startPeer(["nginx", "-p", dir, "-e", "stderr", "-c", join(dir, "nginx.conf")], port);
}

/** Sends `bytes` on a fresh connection and returns everything read until the peer closes (≤ 5 s). */
export async function exchange(port: number, bytes: Uint8Array): Promise<string> {
  const chunks: Uint8Array[] = [];
  const { promise, resolve } = Promise.withResolvers<void>();
  const s = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data: (_s, d) => void chunks.push(new Uint8Array(d)), close: () => resolve(), error: () => resolve() },
  });
  s.write(bytes);
  const timer = setTimeout(() => s.end(), 5000);
  await promise;
  clearTimeout(timer);
  return Buffer.concat(chunks).toString("latin1");
}
