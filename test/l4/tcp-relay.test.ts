import { afterEach, expect, test } from "bun:test";
import { type ConnInfo, type RejectReason, startTcpRelay, type TcpRelay, type TcpRelayOptions, type UpstreamAddress } from "../../src/l4/index.ts";
import { connectClient, echoBackend, halfCloseBackend } from "./helpers/backends.ts";
import { freePort } from "./helpers/peers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

function relay(opts: Partial<TcpRelayOptions<UpstreamAddress>> & Pick<TcpRelayOptions<UpstreamAddress>, "choose">): TcpRelay {
  const r = startTcpRelay({ hostname: "127.0.0.1", port: 0, ...opts });
  cleanups.push(() => r.stop(true));
  return r;
}

function backend<T extends { stop(close?: boolean): void; port: number }>(l: T): T {
  cleanups.push(() => l.stop(true));
  return l;
}

const at = (port: number): UpstreamAddress => ({ host: "127.0.0.1", port });

test("relays both ways and reports open and close through the hooks", async () => {
  const echo = backend(echoBackend());
  const events: string[] = [];
  const r = relay({
    choose: () => at(echo.port),
    hooks: {
      onAccept: (c) => events.push(`accept ${c.id}`),
      onOpen: (c, b) => events.push(`open ${c.id} ${b.port === echo.port}`),
      onClose: (c) => events.push(`close ${c.id} in=${c.bytesIn} out=${c.bytesOut}`),
    },
  });
  const c = await connectClient(r.port);
  c.socket.write("ping");
  await c.waitFor("ping");
  expect(r.stats.active).toBe(1);
  c.socket.end();
  await c.closed;
  for (let i = 0; i < 100 && events.length < 3; i++) await Bun.sleep(10);
  expect(events).toEqual(["accept 1", "open 1 true", "close 1 in=4 out=4"]);
  expect(r.stats).toMatchObject({ accepted: 1, active: 0, relayed: 1, bytesIn: 4, bytesOut: 4 });
});

test("passes a client FIN upstream and still delivers the answer that follows it", async () => {
  const hc = backend(halfCloseBackend());
  const r = relay({ choose: () => at(hc.port) });
  const c = await connectClient(r.port, true);
  c.socket.write("question");
  c.socket.shutdown();
  await c.waitFor("got:question");
  await c.closed;
});

test("keeps bytes sent while the upstream is still connecting", async () => {
  const echo = backend(echoBackend());
  const dead = freePort();
  // Attempt 0 goes to a closed port, so the client's bytes arrive before any upstream is open.
  const r = relay({ choose: (_c, attempt) => at(attempt === 0 ? dead : echo.port) });
  const c = await connectClient(r.port);
  c.socket.write("early-");
  c.socket.write("bytes");
  await c.waitFor("early-bytes");
});

test("retries a dead backend's connect failure on the next attempt", async () => {
  const echo = backend(echoBackend());
  const dead = freePort();
  const failures: number[] = [];
  const attempts: number[] = [];
  const r = relay({
    choose: (_c, attempt) => {
      attempts.push(attempt);
      return at(attempt === 0 ? dead : echo.port);
    },
    hooks: { onConnectFailure: (_c, b, attempt) => failures.push(b.port, attempt) },
  });
  const c = await connectClient(r.port);
  c.socket.write("still here");
  await c.waitFor("still here");
  expect(attempts).toEqual([0, 1]);
  expect(failures).toEqual([dead, 0]);
  expect(r.stats.connectFailures).toBe(1);
});

test("treats a backend address Bun refuses outright as a connect failure", async () => {
  const echo = backend(echoBackend());
  const failures: number[] = [];
  const r = relay({
    choose: (_c, attempt) => at(attempt === 0 ? 70000 : echo.port),
    hooks: { onConnectFailure: (_c, b) => failures.push(b.port) },
  });
  const c = await connectClient(r.port);
  c.socket.write("ok");
  await c.waitFor("ok");
  expect(failures).toEqual([70000]);
});

test("gives up after maxAttempts connect failures and closes the client", async () => {
  const dead = freePort();
  const reasons: RejectReason[] = [];
  const r = relay({ choose: () => at(dead), maxAttempts: 2, hooks: { onReject: (_c, why) => reasons.push(why) } });
  const c = await connectClient(r.port);
  c.socket.write("x");
  await c.closed;
  expect(r.stats.connectFailures).toBe(2);
  expect(reasons).toEqual(["connect_failed"]);
});

test("closes the client when the chooser has no backend", async () => {
  const reasons: RejectReason[] = [];
  const r = relay({ choose: () => undefined, hooks: { onReject: (_c, why) => reasons.push(why) } });
  const c = await connectClient(r.port);
  await c.closed;
  expect(reasons).toEqual(["no_backend"]);
});

test("refuses connections beyond maxConnections and accepts again once one closes", async () => {
  const echo = backend(echoBackend());
  const r = relay({ choose: () => at(echo.port), maxConnections: 2 });
  const a = await connectClient(r.port);
  const b = await connectClient(r.port);
  a.socket.write("a");
  b.socket.write("b");
  await a.waitFor("a");
  await b.waitFor("b");
  const refused = await connectClient(r.port);
  await refused.closed;
  expect(refused.text()).toBe("");
  expect(r.stats.refused).toBe(1);
  a.socket.end();
  await a.closed;
  for (let i = 0; i < 100 && r.stats.active > 1; i++) await Bun.sleep(10);
  const again = await connectClient(r.port);
  again.socket.write("again");
  await again.waitFor("again");
});

test("closes a connection idle for idleTimeoutMs, not one that keeps talking", async () => {
  const echo = backend(echoBackend());
  const closedConns: ConnInfo[] = [];
  const r = relay({ choose: () => at(echo.port), idleTimeoutMs: 300, hooks: { onClose: (c) => closedConns.push(c) } });
  const idle = await connectClient(r.port);
  const busy = await connectClient(r.port);
  idle.socket.write("i");
  const started = Date.now();
  for (let i = 0; i < 10; i++) {
    busy.socket.write(".");
    await Bun.sleep(60);
  }
  await idle.closed;
  const waited = Date.now() - started;
  expect(waited).toBeGreaterThanOrEqual(250);
  expect(waited).toBeLessThan(1500);
  busy.socket.write("!");
  await busy.waitFor("!");
  for (let i = 0; i < 100 && closedConns.length < 1; i++) await Bun.sleep(10);
  expect(closedConns.map((c) => c.bytesIn)).toEqual([1]);
});

test("closes the upstream and reports the close when a client resets mid-stream", async () => {
  // The backend floods the client, so the relay is paused on the upstream when the reset comes.
  let backendClosed = false;
  const flood = backend(Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (s) => void s.write(new Uint8Array(8 << 20)),
      drain: (s) => void s.write(new Uint8Array(1 << 20)),
      data() {},
      close: () => void (backendClosed = true),
    },
  }));
  const closed: number[] = [];
  const r = relay({ choose: () => at(flood.port), hooks: { onClose: (c) => closed.push(c.bytesOut) } });
  const c = await connectClient(r.port);
  await c.waitFor("\0");
  c.socket.terminate();
  for (let i = 0; i < 300 && (closed.length === 0 || !backendClosed); i++) await Bun.sleep(10);
  expect(closed.length).toBe(1);
  expect(backendClosed).toBe(true);
  expect(r.stats.active).toBe(0);
});

test("stop(true) closes live connections and stops accepting", async () => {
  const echo = backend(echoBackend());
  const r = startTcpRelay({ hostname: "127.0.0.1", port: 0, choose: () => at(echo.port) });
  const c = await connectClient(r.port);
  c.socket.write("x");
  await c.waitFor("x");
  r.stop(true);
  await c.closed;
  const refused = await connectClient(r.port).then(() => "connected", () => "refused");
  expect(refused).toBe("refused");
});

test.skipIf(!Bun.which("python3"))("times out a connect that never completes and tries the next backend", async () => {
  // A listener with backlog 0 that never accepts: once one connection fills its queue, the
  // kernel drops further SYNs, so a connect hangs, on loopback, until we give up on it.
  const py = Bun.spawn(["python3", "-c", "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(30)"], { stdout: "pipe" });
  cleanups.push(() => py.kill());
  const reader = py.stdout.getReader();
  const blackhole = Number(new TextDecoder().decode((await reader.read()).value).trim());
  reader.releaseLock();
  const filler = await Bun.connect({ hostname: "127.0.0.1", port: blackhole, socket: { data() {} } });
  cleanups.push(() => filler.terminate());
  const echo = backend(echoBackend());
  const failures: string[] = [];
  const r = relay({
    connectTimeoutMs: 200,
    choose: (_c, attempt) => at(attempt === 0 ? blackhole : echo.port),
    hooks: { onConnectFailure: (_c, _b, attempt, err) => failures.push(`${attempt}:${(err as { code?: string }).code}`) },
  });
  const started = Date.now();
  const c = await connectClient(r.port);
  c.socket.write("after a timeout");
  await c.waitFor("after a timeout");
  expect(Date.now() - started).toBeGreaterThanOrEqual(180);
  expect(failures).toEqual(["0:UPSTREAM_TIMEOUT"]);
});

test("listens on IPv6 loopback and keys the connection by its IPv6 client address", async () => {
  const echo = backend(echoBackend());
  const seen: ConnInfo[] = [];
  const r = startTcpRelay({ hostname: "::1", port: 0, choose: (c) => (seen.push(c), at(echo.port)) });
  cleanups.push(() => r.stop(true));
  let text = "";
  const s = await Bun.connect({ hostname: "::1", port: r.port, socket: { data: (_s, d) => void (text += d.toString()) } });
  cleanups.push(() => s.terminate());
  s.write("v6");
  for (let i = 0; i < 200 && text !== "v6"; i++) await Bun.sleep(5);
  expect(text).toBe("v6");
  expect(seen[0]).toMatchObject({ clientIp: "::1", clientPort: s.localPort, destIp: "::1", destPort: r.port });
  expect(seen[0]!.tuple()[15]).toBe(1);
});
