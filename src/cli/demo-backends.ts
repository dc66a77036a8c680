/**
 * The three little backends of `fulcrum demo`, served in the demo's own process on 127.0.0.1.
 * Each answers every request with one line naming itself, has a /healthz for the health checks,
 * and a `POST /admin/crash` that makes it stop listening for a while and then come back, so a
 * newcomer can watch Fulcrum route around a dead backend and welcome it back.
 */
import { LbError } from "../errors.ts";

/** How long a crashed demo backend stays down by default. */
export const DEFAULT_DOWN_MS = 15_000;

/** One demo backend: a name, a fixed loopback port, and a crash switch. */
export class DemoBackend {
  #server: ReturnType<typeof Bun.serve> | undefined;
  #revive: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  private constructor(
    readonly name: string,
    readonly port: number,
    private readonly log: (line: string) => void,
    private readonly downMs: number,
  ) {}

  /**
   * Starts backend `name` on 127.0.0.1:`port`; when that port is taken (or `port` is 0) the OS picks
   * a free one. The port is then kept for the backend's life, so it comes back where it was.
   */
  static start(name: string, port: number, log: (line: string) => void, downMs = DEFAULT_DOWN_MS): DemoBackend {
    let server: ReturnType<typeof Bun.serve>;
    let b: DemoBackend | undefined;
    const fetch = (req: Request, srv: ReturnType<typeof Bun.serve>) => b!.handle(req, srv);
    try {
      server = Bun.serve({ hostname: "127.0.0.1", port, fetch });
    } catch (e) {
      if (port === 0 || (e as { code?: string }).code !== "EADDRINUSE") {
        throw new LbError("INTERNAL", `demo backend ${name} could not listen on 127.0.0.1: ${(e as Error).message}`, { cause: e });
      }
      server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch });
    }
    b = new DemoBackend(name, server.port!, log, downMs);
    b.#server = server;
    return b;
  }

  /** "127.0.0.1:PORT", as the demo config lists it. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** True while the backend accepts connections. */
  get up(): boolean {
    return this.#server !== undefined;
  }

  private handle(req: Request, srv: ReturnType<typeof Bun.serve>): Response {
    const url = new URL(req.url);
    if (url.pathname === "/healthz") return new Response("ok\n");
    if (url.pathname === "/admin/crash") {
      if (req.method !== "POST") return new Response(`use: curl -X POST http://${this.address}/admin/crash\n`, { status: 405, headers: { allow: "POST" } });
      // Answer first, then drop the listening socket and every open connection (stop(true)), so
      // the proxy's kept-alive connections die too, as they would with a crashed process.
      queueMicrotask(() => this.crash(srv));
      const secs = Math.round(this.downMs / 1000);
      return new Response(`${this.name} crashed: port ${this.port} refuses connections for ${secs} s, then it comes back\n`, {
        headers: { connection: "close" },
      });
    }
    return new Response(`hello from ${this.name} (${this.address}): ${req.method} ${url.pathname}${url.search}\n`, {
      headers: { "content-type": "text/plain; charset=utf-8", "x-demo-backend": this.name },
    });
  }

  private crash(srv: ReturnType<typeof Bun.serve>): void {
    if (this.#server !== srv) return;
    this.#server = undefined;
    // Stop accepting at once; close the open connections (the proxy's kept-alive ones too, as a
    // crashed process would) on the next turn, once the crash answer has been written.
    void srv.stop(false);
    setImmediate(() => void srv.stop(true));
    this.log(`${this.name} is down (port ${this.port}); back in ${Math.round(this.downMs / 1000)} s`);
    this.#revive = setTimeout(() => this.revive(), this.downMs);
  }

  private revive(attempt = 0): void {
    this.#revive = undefined;
    if (this.#stopped) return;
    try {
      const fetch = (req: Request, srv: ReturnType<typeof Bun.serve>) => this.handle(req, srv);
      this.#server = Bun.serve({ hostname: "127.0.0.1", port: this.port, fetch });
      this.log(`${this.name} is back on port ${this.port}`);
    } catch (e) {
      // Something else took the port meanwhile: keep trying for a while, then say so.
      if (attempt < 10) this.#revive = setTimeout(() => this.revive(attempt + 1), 1000);
      else this.log(`${this.name} could not come back on port ${this.port} (${(e as Error).message}); restart the demo`);
    }
  }

  /** Stops the backend for good (no revival). */
  stop(): void {
    this.#stopped = true;
    if (this.#revive) clearTimeout(this.#revive);
    void this.#server?.stop(true);
    this.#server = undefined;
  }
}

/**
 * Starts demo-1..demo-3. With `basePort` > 0 they try basePort+1..+3 first (stable commands from
 * run to run); with 0, or when those are taken, the OS picks free ports.
 */
export function startDemoBackends(basePort: number, log: (line: string) => void): DemoBackend[] {
  const out: DemoBackend[] = [];
  try {
    for (let i = 1; i <= 3; i++) {
      const want = basePort > 0 && basePort + i <= 65535 ? basePort + i : 0;
      out.push(DemoBackend.start(`demo-${i}`, want, log));
    }
  } catch (e) {
    for (const b of out) b.stop();
    throw e;
  }
  return out;
}
