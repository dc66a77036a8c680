/**
 * Response compression end to end: a real node, curl (--compressed, HTTP/1.1 and --http2 over
 * https), fetch with decompression off (the bytes as sent), raw sockets, a Bun.serve backend and a
 * node:http2 h2c backend. Bodies decompress to exactly the backend's bytes, also 5 MB generated in
 * chunks; Accept-Encoding q-values choose the coding; ranges, HEAD, 204/304, encoded,
 * no-transform, unlisted and small responses pass untouched; the head says what happened (Vary,
 * no Content-Length, a weak ETag); a stalled client stalls the backend; counters count it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import http2 from "node:http2";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import zlib from "node:zlib";
import { killAll } from "../helpers/process.ts";
import { run } from "../h2/helpers/run.ts";
import { makeCert } from "./https-helpers.ts";
import { compressBackend, generated, piece, type CompressBackend } from "./helpers/compress-backend.ts";
import { metric, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-compress-"));
let app: CompressBackend;
let h2app: http2.Http2Server;
let n: L7Node;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

beforeAll(async () => {
  await makeCert(dir, "site", "localhost", "DNS:localhost,IP:127.0.0.1");
  app = compressBackend();
  h2app = http2.createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(piece(7, 20_000));
  });
  await new Promise<void>((r) => h2app.listen(0, "127.0.0.1", r));
  const h2port = (h2app.address() as { port: number }).port;
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", compress: { min_bytes: 1024 },
        routes: [
          { name: "off", match: { path_prefix: "/off" }, compress: { enabled: false } },
          { name: "events", match: { path_prefix: "/events" }, compress: { types: ["text/event-stream"], algorithms: ["gzip"] } },
          { name: "all", match: { path_prefix: "/" } },
        ],
      },
      { name: "tls", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["site"] }, compress: {} },
      { name: "plain", protocol: "http", address: "127.0.0.1:0", pool: "app" },
      { name: "h2up", protocol: "http", address: "127.0.0.1:0", pool: "h2app", compress: { algorithms: ["gzip"] } },
    ],
    pools: [
      { name: "app", backends: [{ address: app.be.address }] },
      { name: "h2app", protocol: "h2c", backends: [{ address: `127.0.0.1:${h2port}` }] },
    ],
    certificates: [{ name: "site", cert_pem: readFileSync(join(dir, "site.crt"), "utf8"), key_pem: readFileSync(join(dir, "site.key"), "utf8") }],
  });
});

afterAll(async () => {
  await killAll();
  app?.be.stop();
  h2app?.close();
  removeTempDirs();
  rmSync(dir, { recursive: true, force: true });
});

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** A request through listener `listener` with the bytes as sent (no decompression by the client). */
async function get(listener: string, path: string, acceptEncoding?: string, init: RequestInit = {}): Promise<Got> {
  const headers = new Headers(init.headers);
  headers.set("accept-encoding", acceptEncoding ?? "");
  if (acceptEncoding === undefined) headers.delete("accept-encoding");
  const res = await fetch(`http://127.0.0.1:${n.port(listener)}${path}`, { ...init, headers, decompress: false, signal: AbortSignal.timeout(10_000) } as RequestInit);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

function decode(coding: string | null, body: Buffer): Buffer {
  if (coding === "gzip") return zlib.gunzipSync(body);
  if (coding === "br") return zlib.brotliDecompressSync(body);
  if (coding === "zstd") return zlib.zstdDecompressSync(body);
  return body;
}

/** curl's response headers (the last response's block of -D -) as a lower-case map. */
function curlHeaders(dump: string): Map<string, string> {
  const block = dump.trim().split(/\r?\n\r?\n/).pop()!;
  return new Map(block.split(/\r?\n/).slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
}

describe("curl --compressed", () => {
  test("HTTP/1.1: br (curl offers every coding at q=1, the listener prefers br), chunked, Vary, a weak ETag, the exact page back", async () => {
    const out = join(dir, "page.out");
    const r = await run(["curl", "-sS", "--compressed", "-D", "-", "-o", out, `http://127.0.0.1:${n.port("web")}/page?n=20000`]);
    expect(r.code).toBe(0);
    const h = curlHeaders(r.stdout);
    expect(r.stdout).toStartWith("HTTP/1.1 200");
    expect(h.get("content-encoding")).toBe("br");
    expect(h.get("transfer-encoding")).toBe("chunked");
    expect(h.has("content-length")).toBe(false);
    expect(h.has("accept-ranges")).toBe(false);
    expect(h.get("vary")).toBe("Accept-Encoding");
    expect(h.get("etag")).toBe('W/"v1"');
    expect(readFileSync(out).equals(piece(1, 20000))).toBe(true);
  });

  test("HTTP/2 over https: br in DATA frames with no content-length, the exact page back", async () => {
    const out = join(dir, "page2.out");
    const r = await run(["curl", "-sS", "--http2", "--compressed", "--cacert", join(dir, "site.crt"), "-D", "-", "-o", out, `https://localhost:${n.port("tls")}/page?n=20000`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("HTTP/2 200");
    const h = curlHeaders(r.stdout);
    expect(h.get("content-encoding")).toBe("br");
    expect(h.has("content-length")).toBe(false);
    expect(h.get("etag")).toBe('W/"v1"');
    expect(readFileSync(out).equals(piece(1, 20000))).toBe(true);
  });

  test("5 MB generated by the backend in 64 KiB pieces decompresses to the exact bytes, over HTTP/1.1 and HTTP/2", async () => {
    const want = sha(generated(80, 65536));
    const url = "/gen?pieces=80&size=65536";
    for (const [name, args] of [
      ["h1", ["--http1.1", `http://127.0.0.1:${n.port("web")}${url}`]],
      ["h2", ["--http2", "--cacert", join(dir, "site.crt"), `https://localhost:${n.port("tls")}${url}`]],
    ] as const) {
      const out = join(dir, `gen-${name}.out`), raw = join(dir, `gen-${name}.raw`);
      const r = await run(["curl", "-sS", "--compressed", "-D", raw, "-o", out, ...args], 30_000);
      expect(r.code).toBe(0);
      expect(curlHeaders(readFileSync(raw, "latin1")).get("content-encoding")).toBe("br");
      const body = readFileSync(out);
      expect(body.length).toBe(80 * 65536);
      expect(sha(body)).toBe(want);
    }
  }, 30_000);
});

describe("each coding, as sent", () => {
  test("gzip, br and zstd each stream a 1 MB body that decodes to the backend's bytes, smaller than it", async () => {
    const want = generated(16, 65536);
    for (const coding of ["gzip", "br", "zstd"]) {
      const got = await get("web", "/gen?pieces=16&size=65536", coding);
      expect(got.headers.get("content-encoding")).toBe(coding);
      expect(got.body.length).toBeLessThan(want.length / 2);
      expect(decode(coding, got.body).equals(want)).toBe(true);
    }
  }, 30_000);

  test("a response from an HTTP/2 (h2c) backend is compressed too", async () => {
    const got = await get("h2up", "/", "gzip, br");
    expect(got.headers.get("content-encoding")).toBe("gzip");
    expect(got.headers.get("content-length")).toBeNull();
    expect(decode("gzip", got.body).equals(piece(7, 20_000))).toBe(true);
  });

  test("an event stream reaches the client piece by piece: the first event decodes before the backend sends the second", async () => {
    const res = await fetch(`http://127.0.0.1:${n.port("web")}/events/sse`, { headers: { "accept-encoding": "gzip" }, decompress: false, signal: AbortSignal.timeout(10_000) } as RequestInit);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    const gunzip = zlib.createGunzip();
    let text = "";
    gunzip.on("data", (d: Buffer) => (text += d.toString()));
    const reader = res.body!.getReader();
    const deadline = Date.now() + 5000;
    while (!text.includes("data: first") && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      gunzip.write(value);
      // zlib inflates off this thread: wait for what it made of this chunk before reading on (the
      // next read blocks until the backend sends the second event, which it does only when told).
      const settle = Date.now() + 2000;
      while (!text.includes("data: first") && Date.now() < settle) await Bun.sleep(10);
    }
    expect(text).toBe("data: first\n\n");
    app.releaseEvent();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      gunzip.write(value);
    }
    gunzip.end();
    await new Promise((r) => gunzip.on("end", r));
    expect(text).toBe("data: first\n\ndata: second\n\n");
  }, 30_000);
});

describe("Accept-Encoding", () => {
  test("q-values choose; q=0 refuses; ties go to the listener's order; * covers the rest; no acceptable coding sends identity", async () => {
    const cases: [string | undefined, string | null][] = [
      [undefined, null],
      ["", null],
      ["identity", null],
      ["gzip;q=0, br;q=0, zstd;q=0", null],
      ["gzip;q=0.5, br;q=0.9", "br"],
      ["gzip, br;q=0.5", "gzip"],
      ["zstd, gzip", "zstd"],
      ["*;q=0.2, br;q=0", "zstd"],
      ["*", "br"],
      ["GZIP", "gzip"],
      ["x-gzip", "gzip"],
      ["gzip;q=2", null],
      ["deflate, compress", null],
    ];
    for (const [ae, want] of cases) {
      const got = await get("web", "/page?n=4000", ae);
      expect({ ae, coding: got.headers.get("content-encoding") }).toEqual({ ae, coding: want });
      expect(got.headers.get("vary")).toBe("Accept-Encoding");
      expect(got.headers.get("content-length")).toBe(want === null ? "4000" : null);
      expect(got.headers.get("etag")).toBe(want === null ? '"v1"' : 'W/"v1"');
      expect(decode(want, got.body).equals(piece(1, 4000))).toBe(true);
    }
  });

  test("a weak ETag stays as it is; a backend's Vary keeps its value beside ours", async () => {
    const got = await get("web", "/weak", "gzip");
    expect(got.headers.get("content-encoding")).toBe("gzip");
    expect(got.headers.get("etag")).toBe('W/"w1"');
    expect(got.headers.get("vary")).toBe("Origin, Accept-Encoding");
  });
});

describe("left as the backend sent it", () => {
  const AE = "gzip, br, zstd";
  test("a response already encoded: its bytes untouched", async () => {
    const got = await get("web", "/gz", AE);
    expect(got.headers.get("content-encoding")).toBe("gzip");
    expect(got.body.equals(app.gzipped)).toBe(true);
  });

  test("a range: the 206 passes as sent, and a Range request is never compressed", async () => {
    const got = await get("web", "/range", AE, { headers: { range: "bytes=0-99" } });
    expect(got.status).toBe(206);
    expect(got.headers.get("content-encoding")).toBeNull();
    expect(got.headers.get("content-range")).toBe("bytes 0-99/4000");
    expect(got.body.equals(piece(6, 4000).subarray(0, 100))).toBe(true);
  });

  test("HEAD, 204 and 304 carry no coding", async () => {
    const head = await get("web", "/page?n=4000", AE, { method: "HEAD" });
    expect([head.status, head.headers.get("content-encoding"), head.body.length]).toEqual([200, null, 0]);
    for (const [path, status] of [["/204", 204], ["/304", 304]] as const) {
      const got = await get("web", path, AE);
      expect([got.status, got.headers.get("content-encoding"), got.body.length]).toEqual([status, null, 0]);
    }
  });

  test("Cache-Control: no-transform, an unlisted type and a body under min_bytes are relayed with their length", async () => {
    for (const [path, length] of [["/nt", "4000"], ["/png", "4000"], ["/small", "200"]]) {
      const got = await get("web", path!, AE);
      expect({ path, coding: got.headers.get("content-encoding"), length: got.headers.get("content-length") }).toEqual({ path, coding: null, length });
    }
    const asked = await get("web", "/page?n=4000", AE, { headers: { "cache-control": "no-transform" } });
    expect(asked.headers.get("content-encoding")).toBeNull();
  });

  test("a route with compress.enabled false and a listener without compress change nothing, Vary included", async () => {
    for (const [listener, path] of [["web", "/off/page"], ["plain", "/page"]]) {
      const got = await get(listener!, path!, AE);
      expect([got.headers.get("content-encoding"), got.headers.get("vary"), got.headers.get("content-length")]).toEqual([null, null, "4000"]);
    }
  });

  test("an HTTP/1.0 client gets identity (it cannot read chunks), as nginx's gzip_http_version", async () => {
    const r = await run(["curl", "-sS", "--http1.0", "-H", "accept-encoding: gzip", "-D", "-", "-o", "/dev/null", `http://127.0.0.1:${n.port("web")}/page?n=4000`]);
    const h = curlHeaders(r.stdout);
    expect([h.get("content-encoding"), h.get("content-length")]).toEqual([undefined, "4000"]);
  });
});

describe("flow and counters", () => {
  test("a client that stops reading stops the backend: the producer is held back, not buffered whole", async () => {
    const before = app.pulled();
    const sock = await Bun.connect({ hostname: "127.0.0.1", port: n.port("web"), socket: { data() {} } });
    sock.pause(); // nothing is read from here on
    sock.write(`GET /gen?pieces=6000&size=65536&type=text/plain HTTP/1.1\r\nhost: x\r\naccept-encoding: gzip\r\n\r\n`);
    await until(() => app.pulled() - before > 1_000_000, 5000);
    let last = -1;
    await until(async () => {
      const now = app.pulled();
      const still = now === last;
      last = now;
      if (!still) await Bun.sleep(300);
      return still;
    }, 8000);
    // 393 MB offered; held at what the sockets' buffers and the writer's queue take: ~6 MB
    // compressed to the client, which this text (~6:1) makes ~32 MB from the backend
    expect(app.pulled() - before).toBeLessThan(80_000_000);
    sock.end();
  }, 30_000);

  test("compressed responses and bytes in and out are counted per listener and route, by algorithm", async () => {
    await until(async () => metric(await n.metrics(), 'fulcrum_listener_compressed_responses_total{listener="web",algorithm="br"}') > 0);
    const m = await n.metrics();
    for (const alg of ["br", "gzip", "zstd"]) expect(metric(m, `fulcrum_listener_compressed_responses_total{listener="web",algorithm="${alg}"}`)).toBeGreaterThan(0);
    expect(metric(m, 'fulcrum_route_compressed_responses_total{listener="web",route="events",algorithm="gzip"}')).toBe(1);
    const bytesIn = metric(m, 'fulcrum_listener_compression_bytes_total{listener="web",direction="in"}');
    const bytesOut = metric(m, 'fulcrum_listener_compression_bytes_total{listener="web",direction="out"}');
    expect(bytesIn).toBeGreaterThan(5_000_000);
    expect(bytesOut).toBeGreaterThan(0);
    expect(bytesOut).toBeLessThan(bytesIn / 2);
    expect(metric(m, 'fulcrum_listener_compressed_responses_total{listener="tls",algorithm="br"}')).toBeGreaterThan(0);
  });

  test("a bad compress is a 400 naming the field", async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ protocol: "http", compress: { algorithms: ["gzip", "deflate"] } }, ["compress.algorithms[1]"]],
      [{ protocol: "http", compress: { types: ["text"] } }, ["compress.types[0]"]],
      [{ protocol: "http", compress: { levels: { gzip: 12 } } }, ["compress.levels.gzip"]],
      [{ protocol: "http", compress: { algorithms: ["gzip", "gzip"] } }, ["compress.algorithms"]],
      [{ protocol: "tcp", compress: {} }, ["compress"]],
    ];
    for (const [extra, paths] of cases) {
      const res = await fetch(`${n.node.url}/v1/listeners`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "bad", address: "127.0.0.1:0", pool: "app", ...extra }),
      });
      const body: any = await res.json();
      expect({ extra, status: res.status, code: body.error?.code, paths: body.error?.details?.map((d: any) => d.path) }).toEqual({ extra, status: 400, code: "CONFIG_INVALID", paths });
    }
  });
});
