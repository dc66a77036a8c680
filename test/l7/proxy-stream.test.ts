import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { startProxy, type ProxyServer } from "../../src/l7/index.ts";
import { rawExchange, startOrigin, type Origin } from "../helpers/origin.ts";

const SIZE = 50 * 1024 * 1024;
/** Deterministic bytes: the same for origin, client and hash; 16 blocks reused so the origin makes no garbage. */
const BLOCKS = Array.from({ length: 16 }, (_, i) => {
  const b = new Uint8Array(64 * 1024);
  for (let k = 0; k < b.length; k += 4) b[k] = (i * 31 + k) & 0xff;
  return b;
});
const block = (i: number) => BLOCKS[i % 16]!;

let origin: Origin;
let proxy: ProxyServer;
const gz = gzipSync(Buffer.from("compressed payload ".repeat(200)));

beforeAll(() => {
  origin = startOrigin({
    async fetch(req, server) {
      const path = new URL(req.url).pathname;
      if (path === "/ws" && server.upgrade(req, { data: undefined })) return undefined as unknown as Response;
      if (path === "/gzip") {
        const h = new Headers({ "content-encoding": "gzip", "content-type": "text/plain" });
        for (const c of ["a=1; Path=/", "b=2; HttpOnly", "c=3; Secure"]) h.append("set-cookie", c);
        return new Response(gz, { headers: h });
      }
      if (path === "/download") {
        let i = 0;
        return new Response(new ReadableStream({
          pull(ctl) {
            if (i * 65536 >= SIZE) return ctl.close();
            ctl.enqueue(block(i++).slice());
          },
        }));
      }
      const hash = createHash("sha256");
      let n = 0;
      for await (const c of req.body ?? []) {
        hash.update(c);
        n += c.length;
      }
      return new Response(`${n} ${hash.digest("hex")}`);
    },
    websocket: { message: (ws, m) => void ws.send(`echo:${m}`) },
  });
  proxy = startProxy({ hooks: { selectUpstream: () => ({ address: origin.address }) } });
});

afterAll(() => {
  proxy.stop(true);
  origin.stop();
});

const base = () => `http://127.0.0.1:${proxy.port}`;

async function curl(args: string[]): Promise<{ out: Buffer; err: string; code: number }> {
  const p = Bun.spawn(["curl", "-sS", "--max-time", "60", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), new Response(p.stderr).text(), p.exited]);
  return { out: Buffer.from(out), err, code };
}

describe("streaming through the proxy", () => {
  test("a 50 MB upload and a 50 MB download keep their sha256 and memory stays bounded", async () => {
    const expected = createHash("sha256");
    for (let i = 0; i * 65536 < SIZE; i++) expected.update(block(i));
    const digest = expected.digest("hex");
    const file = `/tmp/fulcrum-l7-upload-${process.pid}.bin`;
    const w = Bun.file(file).writer();
    for (let i = 0; i * 65536 < SIZE; i++) w.write(block(i));
    await w.end();
    Bun.gc(true);
    const rss0 = process.memoryUsage.rss();
    try {
      const up = await curl(["-H", "Transfer-Encoding: chunked", "--data-binary", `@${file}`, `${base()}/upload`]);
      expect(up.out.toString()).toBe(`${SIZE} ${digest}`);
      const down = Bun.spawn(["curl", "-sS", "--max-time", "60", `${base()}/download`], { stdout: "pipe" });
      const h = createHash("sha256");
      let n = 0;
      for await (const c of down.stdout) {
        h.update(c);
        n += c.length;
      }
      expect([n, h.digest("hex")]).toEqual([SIZE, digest]);
      // the origin, the proxy and this test share the process: 50 MB buffered anywhere would show.
      // Collect first: garbage awaiting GC is not buffering, and under a loaded suite it can pile up.
      Bun.gc(true);
      const grown = process.memoryUsage.rss() - rss0;
      if (process.env.FULCRUM_VERBOSE) console.log(`rss growth ${(grown / 1048576).toFixed(1)} MiB`);
      // measured ~40 MiB (mostly garbage awaiting GC); buffering either 50 MB body would exceed this
      expect(grown).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await Bun.file(file).delete();
    }
  }, 60_000);

  test("curl: gzip body and Content-Encoding unchanged, several Set-Cookie preserved", async () => {
    const file = `/tmp/fulcrum-l7-gz-${process.pid}.bin`;
    try {
      const r = await curl(["-D", "-", "-o", file, `${base()}/gzip`]);
      const head = r.out.toString();
      expect(head).toMatch(/content-encoding: gzip/i);
      expect(head.match(/^set-cookie: .*$/gim)?.map((l) => l.trim())).toEqual(["set-cookie: a=1; Path=/", "set-cookie: b=2; HttpOnly", "set-cookie: c=3; Secure"]);
      expect(Buffer.from(await Bun.file(file).arrayBuffer()).equals(gz)).toBe(true);
    } finally {
      await Bun.file(file).delete();
    }
  });

  test("curl: 100-continue upload goes through", async () => {
    const r = await curl(["-v", "-H", "Expect: 100-continue", "--data-binary", "x".repeat(2000), `${base()}/continue`]);
    expect(r.out.toString()).toBe(`2000 ${createHash("sha256").update("x".repeat(2000)).digest("hex")}`);
  });

  test("a WebSocket client talks to the origin through the tunnel after 101", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/ws`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => {
        for (let i = 0; i < 5; i++) ws.send(`m${i}`);
      };
      ws.onmessage = (e) => {
        got.push(String(e.data));
        if (got.length === 5) resolve();
      };
      ws.onerror = () => reject(new Error("websocket error"));
      setTimeout(() => reject(new Error("timeout")), 5000);
    });
    ws.close();
    expect(got).toEqual(["echo:m0", "echo:m1", "echo:m2", "echo:m3", "echo:m4"]);
  });
});

describe("Expect: 100-continue against a backend that sends 100", () => {
  test("the client gets the backend's 100 Continue, sends the body, then gets the final response", async () => {
    const backend = Bun.listen<{ buf: string }>({
      hostname: "127.0.0.1", port: 0,
      socket: {
        open(s) { s.data = { buf: "" }; },
        data(s, d) {
          s.data.buf += d.toString("latin1");
          if (s.data.buf.endsWith("\r\n\r\n") && !s.data.buf.includes("hello")) s.write("HTTP/1.1 100 Continue\r\n\r\n");
          if (s.data.buf.endsWith("hello")) s.write("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
        },
      },
    });
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: `127.0.0.1:${backend.port}` }) } });
    try {
      const got: string[] = [];
      const sock = await Bun.connect({ hostname: "127.0.0.1", port: p.port, socket: { data: (_s, d) => void got.push(d.toString()) } });
      sock.write("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
      for (let i = 0; i < 100 && !got.join("").includes("100 Continue"); i++) await Bun.sleep(10);
      expect(got.join("")).toBe("HTTP/1.1 100 Continue\r\n\r\n");
      sock.write("hello");
      for (let i = 0; i < 100 && !got.join("").includes("ok"); i++) await Bun.sleep(10);
      expect(got.join("")).toBe("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
      sock.end();
    } finally {
      p.stop(true);
      backend.stop(true);
    }
  });

  test("a backend's Keep-Alive field never reaches the client; its Connection stays only when it matches ours", async () => {
    const backend = Bun.listen({
      hostname: "127.0.0.1", port: 0,
      socket: { data(s) { s.write("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nok"); } },
    });
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: `127.0.0.1:${backend.port}` }) } });
    try {
      const r = await rawExchange(p.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      expect(r.text).toBe("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\n\r\nok");
    } finally {
      p.stop(true);
      backend.stop(true);
    }
  });

  test("a close-delimited response is relayed and the client connection closed after it", async () => {
    const backend = Bun.listen({
      hostname: "127.0.0.1", port: 0,
      socket: { data(s) { s.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close"); s.end(); } },
    });
    const p = startProxy({ hooks: { selectUpstream: () => ({ address: `127.0.0.1:${backend.port}` }) } });
    try {
      const r = await rawExchange(p.port, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      expect(r.text).toBe("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nconnection: close\r\n\r\nuntil close");
      expect(r.closed).toBe(true);
    } finally {
      p.stop(true);
      backend.stop(true);
    }
  });
});
