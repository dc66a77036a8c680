/**
 * The http probe client against raw backends on loopback: verdicts (status ranges, body substring
 * over every framing), connection reuse and when a kept connection must be dropped.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { httpCheck, resolveCheckSpec, type HealthCheckConfig } from "../../src/health/index.ts";
import { ok, probe, rawOrigin, until, type RawOrigin } from "./raw-origin.ts";

const origins: RawOrigin[] = [];
afterEach(() => origins.splice(0).forEach((o) => o.stop()));

function setup(respond: Parameters<typeof rawOrigin>[0], cfg: HealthCheckConfig = {}) {
  const origin = rawOrigin(respond);
  origins.push(origin);
  const check = httpCheck(resolveCheckSpec({ type: "http", path: "/healthz", ...cfg }));
  return { origin, check, run: (timeoutMs?: number) => probe(check, origin.target, timeoutMs) };
}

describe("http check verdicts", () => {
  test("passes on a status in the expected ranges and fails outside them", async () => {
    let status = "200 OK";
    const { run } = setup((s) => s.write(ok("x", status)));
    expect(await run()).toBeUndefined();
    status = "503 Service Unavailable";
    expect(await run()).toContain("UPSTREAM_PROTOCOL: http check of 127.0.0.1:");
    expect(await run()).toContain("status 503");
    const custom = setup((s) => s.write(ok("x", "503 Service Unavailable")), { expected_status: ["500-503", 204] });
    expect(await custom.run()).toBeUndefined();
  });

  test("finds the body substring in content-length, chunked and close-delimited bodies", async () => {
    const cl = setup((s) => s.write(ok("status: ok")), { body: "status: ok" });
    expect(await cl.run()).toBeUndefined();
    const chunked = setup(
      (s) => {
        // Split mid-chunk and mid-substring, over two packets.
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstatus:\r\n3\r\n o");
        setTimeout(() => s.write("k\r\n0\r\n\r\n"), 10);
      },
      { body: "status: ok" },
    );
    expect(await chunked.run()).toBeUndefined();
    expect(await chunked.run()).toBeUndefined();
    expect(chunked.origin.opened).toBe(1);
    const closeDelimited = setup(
      (s) => {
        s.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall is ");
        setTimeout(() => (s.write("well"), s.end()), 10);
      },
      { body: "is well" },
    );
    expect(await closeDelimited.run()).toBeUndefined();
    const missing = setup((s) => s.write(ok("status: degraded")), { body: "status: ok" });
    expect(await missing.run()).toContain('body lacks "status: ok"');
  });

  test("only the first 64 KiB of a body count, and a bigger body costs the connection", async () => {
    const big = "a".repeat(70 * 1024);
    const early = setup((s) => s.write(ok(`found${big}`)), { body: "found" });
    expect(await early.run()).toBeUndefined();
    const late = setup((s) => s.write(ok(`${big}found`)), { body: "found" });
    expect(await late.run()).toContain("body lacks");
    await until(() => early.origin.closed === 1);
  });

  test("HEAD, 204 and 304 responses have no body: the next probe reuses the connection", async () => {
    for (const [method, status] of [["HEAD", "200 OK"], ["GET", "204 No Content"], ["GET", "304 Not Modified"]] as const) {
      // A Content-Length on a HEAD answer describes the GET body, which never comes.
      const { origin, run } = setup((s) => s.write(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\n\r\n`), { method, expected_status: ["200-399"] });
      expect(await run(300)).toBeUndefined();
      expect(await run(300)).toBeUndefined();
      expect(origin.opened).toBe(1);
      expect(origin.requests.every((r) => r.head.startsWith(`${method} /healthz HTTP/1.1\r\n`))).toBe(true);
    }
  });

  test("an interim 100 is skipped and the final response judged", async () => {
    const { run } = setup((s) => s.write(`HTTP/1.1 100 Continue\r\n\r\n${ok("x", "503 Service Unavailable")}`));
    expect(await run()).toContain("status 503");
  });

  test("a malformed response and a refused connection fail", async () => {
    const { run } = setup((s) => s.write("HTTP/1.1 2OO OK\r\n\r\n"));
    expect(await run()).toContain("UPSTREAM_PROTOCOL");
    const dead = rawOrigin(() => {});
    dead.stop();
    expect(await probe(httpCheck(resolveCheckSpec({ type: "http" })), dead.target)).toContain("UPSTREAM_CONNECT_FAILED");
  });

  test("sends the configured Host header (else host:port) and identifies itself", async () => {
    const plain = setup((s) => s.write(ok()));
    await plain.run();
    expect(plain.origin.requests[0]!.head).toBe(
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${plain.origin.target.port}\r\nUser-Agent: fulcrum-health\r\nAccept: */*\r\n\r\n`,
    );
    const named = setup((s) => s.write(ok()), { host: "api.example.com" });
    await named.run();
    expect(named.origin.requests[0]!.head).toContain("\r\nHost: api.example.com\r\n");
  });
});

describe("http check connections", () => {
  test("many probes travel on ONE kept connection", async () => {
    const { origin, run } = setup((s) => s.write(ok()));
    for (let i = 0; i < 20; i++) expect(await run()).toBeUndefined();
    expect(origin.opened).toBe(1);
    expect(origin.requests.length).toBe(20);
    expect(origin.requests.every((r) => !/connection:/i.test(r.head))).toBe(true);
  });

  test("reconnects when the backend closed the kept connection", async () => {
    // Answers keep-alive, then closes anyway: at once after the first answer, a while after the second.
    const { origin, run } = setup((s, _head, n) => {
      s.write(ok());
      if (n === 1) s.end();
    });
    for (let i = 0; i < 3; i++) {
      expect(await run()).toBeUndefined();
      await until(() => origin.closed === i + 1);
      await Bun.sleep(20); // the close reaches the checker's side before the next probe (the race is the next test)
    }
    expect(origin.opened).toBe(3);
  });

  test("a probe sent as the backend closes the idle connection is made again on a fresh one", async () => {
    // The backend closes without answering the second request on a connection (its idle timeout firing then).
    const { origin, run } = setup((s, _head, n) => (n === 1 ? s.write(ok()) : s.end()));
    expect(await run()).toBeUndefined();
    expect(await run()).toBeUndefined();
    expect(origin.opened).toBe(2);
  });

  test("a response saying Connection: close is honoured", async () => {
    const { origin, run } = setup((s) => s.write(ok("ok", "200 OK", "Connection: close\r\n")));
    for (let i = 0; i < 3; i++) expect(await run()).toBeUndefined();
    // The backend left each connection open: the probe closed it.
    await until(() => origin.closed === 3);
    expect(origin.opened).toBe(3);
  });

  test("reuse_connection false opens a fresh connection per probe and asks for close", async () => {
    const { origin, run } = setup((s) => s.write(ok()), { reuse_connection: false });
    for (let i = 0; i < 4; i++) expect(await run()).toBeUndefined();
    expect(origin.opened).toBe(4);
    expect(origin.requests.every((r) => r.head.includes("\r\nConnection: close\r\n"))).toBe(true);
    await until(() => origin.closed === 4);
  });

  test("a timed-out probe drops the connection; the next probe proves a fresh connect", async () => {
    let silent = false;
    const { origin, run } = setup((s) => silent || s.write(ok()));
    expect(await run()).toBeUndefined();
    silent = true;
    expect(await run(80)).toContain("UPSTREAM_TIMEOUT");
    await until(() => origin.closed === 1);
    silent = false;
    expect(await run()).toBeUndefined();
    expect(origin.opened).toBe(2);
  });

  test("a failing probe drops the connection", async () => {
    let status = "500 Internal Server Error";
    const { origin, run } = setup((s) => s.write(ok("x", status)));
    expect(await run()).toContain("status 500");
    await until(() => origin.closed === 1);
    status = "200 OK";
    expect(await run()).toBeUndefined();
    expect(await run()).toBeUndefined();
    expect(origin.opened).toBe(2);
  });

  test("release closes the kept connection", async () => {
    const { origin, check, run } = setup((s) => s.write(ok()));
    expect(await run()).toBeUndefined();
    check.release?.(origin.target);
    await until(() => origin.closed === 1);
  });
});
