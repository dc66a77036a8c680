/**
 * Real HTTP/2 clients against the codec's test server: curl (prior knowledge and ALPN over TLS),
 * nghttp (multiplexed requests, request trailers) and h2load (load, h2c and TLS).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startH2Server, type H2TestServer } from "./helpers/h2-server.ts";
import { run } from "./helpers/run.ts";
import { testCert, type TestCert } from "./helpers/tls-cert.ts";

let plain: H2TestServer;
let tls: H2TestServer;
let cert: TestCert;
let dir: string;

beforeAll(async () => {
  cert = await testCert();
  dir = mkdtempSync(join(tmpdir(), "fulcrum-h2-clients-"));
  plain = startH2Server();
  tls = startH2Server({ tls: { cert: cert.cert, key: cert.key } });
});

afterAll(() => {
  plain?.stop();
  tls?.stop();
  cert?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const h2c = (path: string) => `http://127.0.0.1:${plain.port}${path}`;
const h2s = (path: string) => `https://127.0.0.1:${tls.port}${path}`;
const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

describe("curl", () => {
  test("--http2-prior-knowledge gets a response over h2c", async () => {
    const r = await run(["curl", "-sS", "-i", "--http2-prior-knowledge", h2c("/")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("HTTP/2 200");
    expect(r.stdout).toEndWith("\r\n\r\nhello, h2\n");
  });

  test("--http2 negotiates h2 by ALPN over TLS", async () => {
    const r = await run(["curl", "-sS", "-v", "--http2", "--cacert", cert.certFile, h2s("/status/418")]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("ALPN: server accepted h2");
    expect(r.stderr).toContain("< HTTP/2 418");
    expect(r.stdout).toBe("status 418\n");
  });

  test("a 3 MiB upload comes back byte for byte (flow control both ways)", async () => {
    const body = randomBytes(3 << 20);
    const file = join(dir, "upload.bin");
    writeFileSync(file, body);
    const out = join(dir, "echoed.bin");
    const r = await run(["curl", "-sS", "--http2-prior-knowledge", "--data-binary", `@${file}`, "-o", out, h2c("/echo")]);
    expect(r.code).toBe(0);
    expect(sha(await Bun.file(out).bytes())).toBe(sha(body));
  });

  test("an 8 MB response arrives whole over TLS", async () => {
    const r = await run(["curl", "-sS", "--http2", "--cacert", cert.certFile, "-o", "/dev/null", "-w", "%{size_download} %{http_version}", h2s("/big/8000000")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("8000000 2");
  });

  // over TLS: curl 7.88 fails to reuse a prior-knowledge connection, against node:http2 as well
  test("several URLs reuse one connection", async () => {
    const r = await run(["curl", "-sS", "-v", "--http2", "--cacert", cert.certFile, h2s("/"), h2s("/status/201"), h2s("/status/404")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hello, h2\nstatus 201\nstatus 404\n");
    expect(r.stderr).toContain("Re-using existing connection");
  });
});

describe("nghttp", () => {
  test("multiplexes 50 requests on one connection", async () => {
    const r = await run(["nghttp", "-n", "-s", "-m", "50", h2c("/")]);
    expect(r.code).toBe(0);
    // one line per request in the statistics, each with status 200
    expect(r.stdout.match(/ 200 /g)?.length).toBe(50);
  });

  test("sends request trailers, which the echo returns as response trailers", async () => {
    const file = join(dir, "small.txt");
    writeFileSync(file, "with trailers");
    const r = await run(["nghttp", "-v", "-d", file, "--trailer", "x-checksum: abc123", h2c("/echo")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("with trailers");
    // the response's second HEADERS frame (trailers) carries the field back
    expect(r.stdout).toMatch(/recv \(stream_id=\d+\) x-checksum: abc123\n.*recv HEADERS frame <length=\d+, flags=0x05/);
  });

  test("works over TLS", async () => {
    const r = await run(["nghttp", "-n", "-s", "-m", "10", h2s("/status/204")]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/ 204 /g)?.length).toBe(10);
  });
});

describe("h2load", () => {
  /** "requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout" */
  function requests(out: string): Record<string, number> {
    const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
    if (!m) throw new Error(`no h2load summary:\n${out}`);
    return { total: +m[1]!, done: +m[3]!, succeeded: +m[4]!, failed: +m[5]!, errored: +m[6]!, timeout: +m[7]! };
  }

  test("4,000 requests, 8 connections × 10 streams, all succeed over h2c", async () => {
    const r = await run(["h2load", "-n", "4000", "-c", "8", "-m", "10", h2c("/")], 60_000);
    expect(r.code).toBe(0);
    expect(requests(r.stdout)).toMatchObject({ total: 4000, succeeded: 4000, failed: 0, errored: 0, timeout: 0 });
    expect(r.stdout).toContain("status codes: 4000 2xx");
  }, 60_000);

  test("2,000 requests over TLS, all succeed", async () => {
    const r = await run(["h2load", "-n", "2000", "-c", "4", "-m", "10", h2s("/")], 60_000);
    expect(r.code).toBe(0);
    expect(requests(r.stdout)).toMatchObject({ total: 2000, succeeded: 2000, failed: 0, errored: 0 });
    expect(r.stdout).toContain("Application protocol: h2");
  }, 60_000);
});
