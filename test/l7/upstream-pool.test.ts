import { describe, expect, test } from "bun:test";
import type { LbError } from "../../src/errors.ts";
import { UpstreamPool, startProxy, type ResponseHead, type UpstreamConn, type UpstreamHandler } from "../../src/l7/index.ts";
import { rawExchange } from "../helpers/origin.ts";

/** Records what a pool connection reports. */
class Recorder implements UpstreamHandler {
  data = "";
  closed: LbError | null = null;
  heads: ResponseHead[] = [];
  ended = 0;
  onUpstreamData(conn: UpstreamConn, d: Buffer) {
    this.data += d.toString("latin1");
    conn.parser.feed(d);
  }
  onUpstreamDrain() {}
  onUpstreamClose(_c: UpstreamConn, err: LbError) { this.closed = err; }
  onHead(h: ResponseHead) { this.heads.push(h); }
  onBody() {}
  onEnd() { this.ended++; }
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 10) await Bun.sleep(10);
}

/** A backend that answers every request with `reply(n)` where n counts requests on that connection. */
function backend(reply: (n: number) => string | null) {
  let connections = 0;
  const server = Bun.listen<{ n: number }>({
    hostname: "127.0.0.1", port: 0,
    socket: {
      open(s) { s.data = { n: 0 }; connections++; },
      data(s, d) {
        if (!d.toString("latin1").includes("\r\n\r\n")) return;
        const r = reply(++s.data.n);
        if (r === null) s.end();
        else s.write(r);
      },
    },
  });
  return { server, address: `127.0.0.1:${server.port}`, get connections() { return connections; } };
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

describe("upstream pool", () => {
  test("reuses an idle connection, caps idle connections, and closes them after the idle timeout", async () => {
    const b = backend(() => OK);
    const pool = new UpstreamPool({ maxIdlePerBackend: 1, idleTimeoutMs: 300 });
    try {
      const h1 = new Recorder(), h2 = new Recorder();
      const c1 = pool.acquire(b.address, h1), c2 = pool.acquire(b.address, h2);
      c1.write(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
      c2.write(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
      await until(() => h1.ended === 1 && h2.ended === 1);
      pool.release(c1, true);
      pool.release(c2, true);
      expect(pool.idleCount(b.address)).toBe(1);
      const h3 = new Recorder();
      expect(pool.acquire(b.address, h3)).toBe(c1);
      pool.release(c1, true);
      await until(() => pool.idleCount(b.address) === 0);
      expect(pool.idleCount(b.address)).toBe(0);
      expect(b.connections).toBe(2);
    } finally {
      pool.close();
      b.server.stop(true);
    }
  });

  test("a refused connect is UPSTREAM_CONNECT_FAILED and retryable", async () => {
    const gone = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const address = `127.0.0.1:${gone.port}`;
    gone.stop(true);
    const pool = new UpstreamPool();
    const h = new Recorder();
    pool.acquire(address, h);
    await until(() => h.closed !== null);
    expect([h.closed?.code, h.closed?.retryable, h.closed?.status]).toEqual(["UPSTREAM_CONNECT_FAILED", true, 502]);
    pool.close();
  });

  test("a reset before any response byte is retryable; after one it is not", async () => {
    const silentClose = backend(() => null);
    const partial = backend(() => "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    const pool = new UpstreamPool();
    try {
      const early = new Recorder(), late = new Recorder();
      pool.acquire(silentClose.address, early).write(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
      const lc = pool.acquire(partial.address, late);
      lc.write(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
      await until(() => early.closed !== null && late.data.includes("partial"));
      expect([early.closed?.code, early.closed?.retryable]).toEqual(["UPSTREAM_RESET", true]);
      partial.server.stop(true);
      lc.socket?.terminate();
      await until(() => late.closed !== null);
      expect([late.closed?.code, late.closed?.retryable]).toEqual(["UPSTREAM_RESET", false]);
    } finally {
      pool.close();
      silentClose.server.stop(true);
    }
  });

  test("the proxy retries a bodiless request once when a reused connection closes under it", async () => {
    // second request on any connection: the backend closes without answering (the keep-alive race)
    const b = backend((n) => (n === 1 ? OK : null));
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: b.address }) } });
    try {
      const r = await rawExchange(p.port, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n", 300);
      expect(r.text.endsWith("ok")).toBe(true);
      const r2 = await rawExchange(p.port, "GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(r2.text.startsWith("HTTP/1.1 200 OK")).toBe(true);
      expect(b.connections).toBe(2);
    } finally {
      p.stop(true);
      b.server.stop(true);
    }
  });
});
