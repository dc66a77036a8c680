import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { TCPSocketListener } from "bun";
import { type RejectReason, startTcpRelay, type TcpRelay, type UpstreamAddress } from "../../src/l4/index.ts";
import { HostTable } from "../../src/net/index.ts";
import { connectClient, recordingBackend } from "./helpers/backends.ts";
import { captureHello, makeCert, opensslClient, refragment } from "./helpers/tls.ts";

type Named = UpstreamAddress & { name: string };

/** A TLS backend that greets every client with its own name once the handshake is done. */
function tlsBackend(name: string): TCPSocketListener<undefined> {
  const { cert, key } = makeCert(name);
  return Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert, key },
    socket: { open: (s) => void s.write(`hello from ${name}\n`), data() {} },
  });
}

/** openssl s_client through the relay; resolves with its stdout once a greeting arrived (≤ 5 s). */
async function sClient(port: number, serverName: string | null): Promise<string> {
  const sni = serverName === null ? ["-noservername"] : ["-servername", serverName];
  const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, ...sni], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "ignore",
  });
  let out = "";
  const reader = proc.stdout.getReader();
  const timer = setTimeout(() => proc.kill(), 5000);
  while (!out.includes("hello from ")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += new TextDecoder().decode(value);
  }
  clearTimeout(timer);
  proc.kill();
  await proc.exited;
  return out;
}

let a: TCPSocketListener<undefined>;
let b: TCPSocketListener<undefined>;
let relay: TcpRelay;
const chosen: string[] = [];
const rejects: RejectReason[] = [];

beforeAll(() => {
  a = tlsBackend("a.example.com");
  b = tlsBackend("b.example.com");
  const A: Named = { name: "a", host: "127.0.0.1", port: a.port };
  const B: Named = { name: "b", host: "127.0.0.1", port: b.port };
  const sni = new HostTable<Named>();
  sni.add("a.example.com", A);
  for (const n of ["*.b.example.com", "b.example.com"]) sni.add(n, B);
  relay = startTcpRelay<Named>({
    hostname: "127.0.0.1",
    port: 0,
    tlsPassthrough: true,
    preambleTimeoutMs: 400,
    choose: (conn) => {
      const target = conn.sni ? (sni.lookup(conn.sni) ?? A) : A;
      chosen.push(`${conn.sni ?? "-"}>${target?.name}`);
      return target;
    },
    hooks: { onReject: (_c, why) => rejects.push(why) },
  });
});

afterAll(() => {
  relay?.stop(true);
  a?.stop(true);
  b?.stop(true);
});

describe("SNI routing with openssl s_client", () => {
  test("routes an exact name to its backend, which completes the handshake", async () => {
    const out = await sClient(relay.port, "a.example.com");
    expect(out).toContain("hello from a.example.com");
    expect(out).toContain("CN = a.example.com");
  });

  test("routes a wildcard match, upper case included", async () => {
    expect(await sClient(relay.port, "X.B.Example.com")).toContain("hello from b.example.com");
  });

  test("sends unknown names and a hello without SNI to the default", async () => {
    expect(await sClient(relay.port, "other.org")).toContain("hello from a.example.com");
    expect(await sClient(relay.port, null)).toContain("hello from a.example.com");
    expect(chosen.slice(-2)).toEqual(["other.org>a", "->a"]);
  });
});

describe("hellos that arrive oddly", () => {
  test("forwards a hello fragmented into 1-byte records and sent in pieces, byte for byte", async () => {
    const hello = refragment(await captureHello(opensslClient("y.b.example.com")), [1]);
    const rec = recordingBackend();
    const r = startTcpRelay({ hostname: "127.0.0.1", port: 0, tlsPassthrough: true, choose: (c) => (c.sni === "y.b.example.com" ? { host: "127.0.0.1", port: rec.port } : undefined) });
    try {
      const c = await connectClient(r.port);
      for (let off = 0; off < hello.length; off += 97) {
        c.socket.write(hello.subarray(off, off + 97));
        await Bun.sleep(1);
      }
      for (let i = 0; i < 200 && (rec.received[0]?.length ?? 0) < hello.length; i++) await Bun.sleep(10);
      expect(Buffer.from(rec.received[0]!).equals(Buffer.from(hello))).toBe(true);
    } finally {
      r.stop(true);
      rec.stop(true);
    }
  });

  test("closes cleanly on garbage instead of a hello, without choosing a backend", async () => {
    const before = chosen.length;
    const c = await connectClient(relay.port);
    c.socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await c.closed;
    expect(c.text()).toBe("");
    expect(chosen.length).toBe(before);
    expect(rejects).toContain("not_tls");
  });

  test("closes a client that never finishes its hello after the preamble limit", async () => {
    const hello = await captureHello(opensslClient("a.example.com"));
    const c = await connectClient(relay.port);
    c.socket.write(hello.subarray(0, 20));
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(rejects).toContain("preamble_timeout");
  });
});
