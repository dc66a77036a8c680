/**
 * HTTP/2 conformance of a real node (h2spec, strict cases included), proxying to an HTTP/1.1
 * backend: over TLS with ALPN h2 every case passes; over h2c by prior knowledge every case but
 * one, "3.5/2 Sends invalid connection preface", which does not apply to a listener that also
 * serves HTTP/1.1: those bytes are a malformed HTTP/1.1 request there, answered 400 and closed
 * (h2spec then reads the 400 where it expected only the close). An HTTP/2-only listener
 * (`h2c: only`) answers it with GOAWAY, and passes every case. HAProxy 2.6 (`proto h2`, an
 * HTTP/2-only bind) passes 144 of 146, nginx 1.22 118.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { findH2spec, h2specSummary } from "../h2/helpers/h2spec.ts";
import { run } from "../h2/helpers/run.ts";
import { testCert, type TestCert } from "../h2/helpers/tls-cert.ts";
import { backend, removeTempDirs, startNode, type Backend, type L7Node } from "./helpers/l7-node.ts";

const H2SPEC = findH2spec();
let cert: TestCert;
let be: Backend;
let n: L7Node;

beforeAll(async () => {
  cert = await testCert();
  // The backend answers after 15 ms, as a real one takes a while: some cases send a frame right
  // after a complete request (6.9/2: a WINDOW_UPDATE of 0 on it) and expect the stream still open;
  // an instant answer could close it first when h2spec is descheduled between its two writes.
  be = backend("spec", (req) => req.arrayBuffer().then(() => Bun.sleep(15)).then(() => new Response("hello from http/1.1\n")));
  n = await startNode({
    listeners: [
      { name: "h2c", protocol: "http", address: "127.0.0.1:0", pool: "app" },
      { name: "h2only", protocol: "http", address: "127.0.0.1:0", pool: "app", h2c: "only" },
      { name: "h2", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["c"] } },
    ],
    pools: [{ name: "app", backends: [{ address: be.address }] }],
    certificates: [{ name: "c", cert_pem: cert.cert, key_pem: cert.key }],
  });
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  be?.stop();
  cert?.remove();
});

describe("h2spec against a real node", () => {
  test("over TLS (ALPN h2): every case passes, strict ones included", async () => {
    const r = await run([H2SPEC, "-h", "127.0.0.1", "-p", String(n.port("h2")), "-t", "-k", "-o", "2", "-S"], 150_000);
    const s = h2specSummary(r.stdout);
    expect(s.failures).toBe("");
    expect(s).toMatchObject({ failed: 0, skipped: 0 });
    expect(s.passed).toBeGreaterThanOrEqual(147);
  }, 180_000);

  test("over h2c (prior knowledge): every case but the invalid preface one, which a mixed HTTP/1.1 listener answers with 400", async () => {
    const r = await run([H2SPEC, "-h", "127.0.0.1", "-p", String(n.port("h2c")), "-o", "2", "-S"], 150_000);
    const s = h2specSummary(r.stdout);
    expect(s).toMatchObject({ failed: 1, skipped: 0 });
    expect(s.passed).toBeGreaterThanOrEqual(146);
    expect(s.failures).toContain("Sends invalid connection preface");
    expect(s.failures.match(/×/g)?.length).toBe(1);
  }, 180_000);

  test("over an HTTP/2-only listener (h2c: only): every case passes, the invalid preface included", async () => {
    const r = await run([H2SPEC, "-h", "127.0.0.1", "-p", String(n.port("h2only")), "-o", "2", "-S"], 150_000);
    const s = h2specSummary(r.stdout);
    expect(s.failures).toBe("");
    expect(s).toMatchObject({ failed: 0, skipped: 0 });
    expect(s.passed).toBeGreaterThanOrEqual(147);
  }, 180_000);

  test("an HTTP/2-only listener refuses an HTTP/1.1 request with GOAWAY (PROTOCOL_ERROR), not a 400", async () => {
    const sock = await Bun.connect({ hostname: "127.0.0.1", port: n.port("h2only"), socket: {
      data(s, d) { got.push(Buffer.from(d)); }, close() { closed = true; },
    } });
    const got: Buffer[] = [];
    let closed = false;
    sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    const deadline = Date.now() + 5000;
    while (!closed && Date.now() < deadline) await Bun.sleep(20);
    const all = Buffer.concat(got);
    expect(closed).toBe(true);
    expect(all.toString("latin1")).not.toContain("HTTP/1.1");
    const goaway = findGoaway(all);
    expect(goaway).toBe(1); // PROTOCOL_ERROR
  });
});

/** The error code of the first GOAWAY frame in `b` (frames after the server's SETTINGS), or -1. */
function findGoaway(b: Buffer): number {
  for (let pos = 0; pos + 9 <= b.length; ) {
    const len = b.readUIntBE(pos, 3), type = b[pos + 3];
    if (type === 7 && pos + 9 + 8 <= b.length) return b.readUInt32BE(pos + 9 + 4);
    pos += 9 + len;
  }
  return -1;
}
