/**
 * Access lists and max_connections_per_client on L4 listeners, through a real node: clients from
 * chosen loopback addresses (127.0.0.x, ::1), a trusted PROXY header's source, udp datagrams. A
 * refused client is closed at accept (udp: its datagrams dropped, no flow) and never reaches a
 * backend; refusals are counted per listener.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import tls from "node:tls";
import { echoBackend } from "../l4/helpers/backends.ts";
import { killAll } from "../helpers/process.ts";
import { metric, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";
import { connectFrom, udpFrom } from "./helpers/source-client.ts";

const echo = echoBackend("e|");
const echo6 = echoBackend("six|");
let udpEcho: dgram.Socket;
let n: L7Node;

beforeAll(async () => {
  udpEcho = dgram.createSocket("udp4");
  udpEcho.on("message", (m, r) => udpEcho.send(Buffer.concat([Buffer.from("u|"), m]), r.port, r.address));
  await new Promise<void>((r) => udpEcho.bind(0, "127.0.0.1", () => r()));
  const pool = (name: string, port: number) => ({ name, backends: [{ address: `127.0.0.1:${port}` }] });
  n = await startNode({
    listeners: [
      // deny wins over a wider allow
      { name: "tcp-acl", protocol: "tcp", address: "127.0.0.1:0", pool: "echo", access: { allow: ["127.0.0.0/8"], deny: ["127.0.0.3/32"] } },
      { name: "tcp-only2", protocol: "tcp", address: "127.0.0.1:0", pool: "echo", access: { allow: ["127.0.0.2"] } },
      { name: "tcp-v6", protocol: "tcp", address: "[::1]:0", pool: "echo6", access: { allow: ["::1/128"] } },
      { name: "tcp-v6-deny", protocol: "tcp", address: "[::1]:0", pool: "echo6", access: { deny: ["::1"] } },
      { name: "tcp-proxied", protocol: "tcp", address: "127.0.0.1:0", pool: "echo", proxy_protocol: { accept_from: ["127.0.0.0/8"] }, access: { allow: ["10.1.0.0/16"] } },
      { name: "tcp-per-client", protocol: "tcp", address: "127.0.0.1:0", pool: "echo", max_connections_per_client: 2 },
      { name: "passthrough", protocol: "tls_passthrough", address: "127.0.0.1:0", pool: "echo", access: { deny: ["127.0.0.3"] } },
      { name: "udp-acl", protocol: "udp", address: "127.0.0.1:0", pool: "udp", access: { deny: ["127.0.0.3"] }, idle_timeout_ms: 5000 },
      { name: "udp-per-client", protocol: "udp", address: "127.0.0.1:0", pool: "udp", max_connections_per_client: 1, idle_timeout_ms: 5000 },
    ],
    pools: [pool("echo", echo.port), pool("echo6", echo6.port), pool("udp", udpEcho.address().port)],
  });
});

afterAll(async () => {
  await killAll();
  echo.stop(true);
  echo6.stop(true);
  udpEcho.close();
  removeTempDirs();
});

/** Connects from `from`, sends `msg`: the echo (backend tag + msg), or "" when closed without one. */
async function echoFrom(from: string, port: number, msg: string): Promise<string> {
  const c = await connectFrom(from, port);
  c.write(msg);
  try {
    await c.waitFor(msg, 3000);
  } catch {
    // closed without an echo: the refusal case; the text so far says so
  }
  const got = c.text();
  c.end();
  return got;
}

describe("tcp access lists", () => {
  test("a denied address is closed at accept and never reaches a backend; deny wins over allow", async () => {
    const port = n.port("tcp-acl");
    expect(await echoFrom("127.0.0.2", port, "hi")).toBe("e|hi");
    const before = echo.connections;
    const denied = await connectFrom("127.0.0.3", port);
    denied.write("hello");
    await denied.waitClosed();
    expect(denied.text()).toBe("");
    expect(echo.connections).toBe(before);
    expect(await echoFrom("127.0.0.4", port, "ok")).toBe("e|ok");
  });

  test("with an allow list every other address is denied, and the refusals are counted", async () => {
    const port = n.port("tcp-only2");
    expect(await echoFrom("127.0.0.2", port, "a")).toBe("e|a");
    for (const from of ["127.0.0.5", "127.0.0.6"]) expect(await echoFrom(from, port, "b")).toBe("");
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_listener_access_denied_total{listener="tcp-only2"}')).toBe(2);
    expect(metric(m, 'fulcrum_listener_access_denied_total{listener="tcp-acl"}')).toBe(1);
    const st = await n.status();
    expect(st.listeners.find((l: any) => l.name === "tcp-only2").access_denied).toBe(2);
  });

  test("IPv6 clients are judged by their ::1 address", async () => {
    expect(await echoFrom("::1", n.port("tcp-v6"), "v6")).toBe("six|v6");
    expect(await echoFrom("::1", n.port("tcp-v6-deny"), "v6")).toBe("");
  });

  test("behind a trusted PROXY header, the header's source is the client judged", async () => {
    const port = n.port("tcp-proxied");
    const allowed = await connectFrom("127.0.0.2", port);
    allowed.write("PROXY TCP4 10.1.2.3 127.0.0.1 40000 80\r\nthrough");
    await allowed.waitFor("e|through");
    allowed.end();
    const before = echo.connections;
    const denied = await connectFrom("127.0.0.2", port);
    denied.write("PROXY TCP4 10.9.9.9 127.0.0.1 40000 80\r\nblocked");
    await denied.waitClosed();
    expect(denied.text()).toBe("");
    expect(echo.connections).toBe(before);
  });

  test("tls_passthrough closes a denied client before reading its ClientHello", async () => {
    const port = n.port("passthrough");
    const outcome = await new Promise<string>((resolve) => {
      // localAddress is a net option tls.connect passes on (missing from its types)
      const opts = { host: "127.0.0.1", port, localAddress: "127.0.0.3", servername: "a.test", rejectUnauthorized: false };
      const s = tls.connect(opts as tls.ConnectionOptions);
      s.once("secureConnect", () => resolve("handshake"));
      s.once("error", (e) => resolve(`error: ${e.message}`));
      s.once("close", () => resolve("closed"));
      setTimeout(() => resolve("timeout"), 3000);
    });
    expect(outcome).not.toBe("handshake");
    expect(outcome).not.toBe("timeout");
    expect(metric(await n.metrics(), 'fulcrum_listener_access_denied_total{listener="passthrough"}')).toBe(1);
  });
});

describe("max_connections_per_client on tcp", () => {
  test("a client's connection past the limit is closed at once; others and later ones go through", async () => {
    const port = n.port("tcp-per-client");
    const held = [await connectFrom("127.0.0.2", port), await connectFrom("127.0.0.2", port)];
    for (const [i, c] of held.entries()) {
      c.write(`h${i}`);
      await c.waitFor(`e|h${i}`);
    }
    const before = echo.connections;
    const third = await connectFrom("127.0.0.2", port);
    third.write("x");
    await third.waitClosed();
    expect(third.text()).toBe("");
    expect(echo.connections).toBe(before);
    expect(await echoFrom("127.0.0.3", port, "other")).toBe("e|other");
    held[0]!.end();
    await held[0]!.waitClosed();
    // the freed place is given back when the node sees the close
    await until(async () => (await echoFrom("127.0.0.2", port, "again")) === "e|again", 3000);
    held[1]!.end();
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_listener_client_limit_refused_total{listener="tcp-per-client"}')).toBeGreaterThanOrEqual(1);
    expect(metric(m, 'fulcrum_listener_tracked_clients{listener="tcp-per-client"}')).toBeLessThanOrEqual(1);
  });
});

describe("udp", () => {
  test("a denied client's datagrams are dropped and make no flow; an allowed one is answered", async () => {
    const port = n.port("udp-acl");
    const ok = await udpFrom("127.0.0.2");
    const denied = await udpFrom("127.0.0.3");
    ok.send(port, "ping");
    for (let i = 0; i < 3; i++) denied.send(port, `nope${i}`);
    await until(() => ok.replies.length > 0, 3000);
    expect(ok.replies).toEqual(["u|ping"]);
    await until(async () => metric(await n.metrics(), 'fulcrum_listener_access_denied_total{listener="udp-acl"}') === 3, 3000);
    expect(denied.replies).toEqual([]);
    const st = await n.status();
    expect(st.listeners.find((l: any) => l.name === "udp-acl").udp.flows).toBe(1);
    ok.close();
    denied.close();
  });

  test("max_connections_per_client counts a client's flows: a second port's datagrams get no flow", async () => {
    const port = n.port("udp-per-client");
    const first = await udpFrom("127.0.0.2");
    const second = await udpFrom("127.0.0.2");
    const other = await udpFrom("127.0.0.3");
    first.send(port, "one");
    await until(() => first.replies.length > 0, 3000);
    second.send(port, "two");
    other.send(port, "three");
    await until(() => other.replies.length > 0, 3000);
    await Bun.sleep(100);
    expect(second.replies).toEqual([]);
    expect(metric(await n.metrics(), 'fulcrum_listener_client_limit_refused_total{listener="udp-per-client"}')).toBe(1);
    for (const s of [first, second, other]) s.close();
  });
});
