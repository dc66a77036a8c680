/**
 * Issue 6, tls_passthrough configured through a real `fulcrum start` node: SNI rules (exact and
 * wildcard) and a default pool, each pool one TLS backend whose certificate has its own CN. The
 * node never terminates TLS, so the certificate openssl s_client sees tells which backend it
 * reached. Garbage instead of a ClientHello gets the connection closed and the node keeps serving.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import { cn, sClient } from "./https-helpers.ts";
import { makeCert } from "../l4/helpers/tls.ts";
import { startNode, until, type ResilienceNode } from "./helpers-resilience/node.ts";

/** A TLS backend presenting a certificate for `name` (its CN), counting the connections it accepts. */
function tlsBackend(name: string) {
  const { cert, key } = makeCert(name);
  const b = { accepted: 0, listener: undefined as unknown as Bun.TCPSocketListener };
  b.listener = Bun.listen({ hostname: "127.0.0.1", port: 0, tls: { cert, key }, socket: { open: () => void b.accepted++, data() {} } });
  return Object.assign(b, { port: b.listener.port, stop: () => b.listener.stop(true) });
}
const accepted = () => Object.values(backends).reduce((n, b) => n + b.accepted, 0);

const backends = { pa: tlsBackend("backend-a"), pw: tlsBackend("backend-wild"), pd: tlsBackend("backend-default") };
let node: ResilienceNode;
let port = 0;

beforeAll(async () => {
  node = await startNode({
    listeners: [{
      name: "tls-in",
      protocol: "tls_passthrough",
      address: "127.0.0.1:0",
      pool: "pd",
      sni: [{ names: ["a.test"], pool: "pa" }, { names: ["*.wild.test"], pool: "pw" }],
    }],
    pools: Object.entries(backends).map(([name, b]) => ({ name, backends: [{ address: `127.0.0.1:${b.port}` }] })),
  });
  port = await node.port("tls-in");
});

afterAll(async () => {
  await node?.stop();
  Object.values(backends).forEach((b) => b.stop());
});

/** The CN of the certificate the node's listener relays for `servername` (null: no SNI sent). */
async function cnFor(servername: string | null): Promise<string> {
  return cn(await sClient(port, servername === null ? ["-noservername"] : ["-servername", servername]));
}

test("the ClientHello's server name picks the pool: exact rule, wildcard rule, default pool", async () => {
  expect(await cnFor("a.test")).toBe("backend-a");
  expect(await cnFor("x.wild.test")).toBe("backend-wild");
  expect(await cnFor("deep.x.wild.test")).toBe("backend-wild"); // like Envoy's server_names: any depth
  expect(await cnFor("other.test")).toBe("backend-default");
  expect(await cnFor("wild.test")).toBe("backend-default");
  expect(await cnFor(null)).toBe("backend-default");
  expect(await cnFor("A.TEST")).toBe("backend-a"); // DNS names compare case-insensitively
}, 20_000);

test("garbage instead of a ClientHello gets the connection closed; the node keeps serving", async () => {
  const before = accepted();
  for (const junk of ["GET / HTTP/1.1\r\nHost: a.test\r\n\r\n", "\x16\x03\x01\x00\x05hello", "\x00".repeat(64)]) {
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: "127.0.0.1", port }, () => s.write(junk));
      const timer = setTimeout(() => (s.destroy(), resolve(false)), 5000);
      s.on("error", () => {}); // a reset counts as closed too
      s.on("close", () => (clearTimeout(timer), resolve(true)));
    });
    expect(closed).toBe(true);
  }
  expect(node.proc.proc.exitCode).toBeNull();
  expect(accepted()).toBe(before); // no backend ever saw the garbage
  expect(await cnFor("a.test")).toBe("backend-a");
  expect(accepted()).toBe(before + 1); // the count does see a real hello's connection
  expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  // Nothing of the garbage holds a backend connection: every count returns to 0.
  const open = async () => (await node.status()).pools.flatMap((p: any) => p.backends.map((b: any) => b.active_connections));
  await until(async () => (await open()).every((n: number) => n === 0), 3000);
}, 20_000);
