/**
 * TLS helpers for L4 tests: self-signed certificates made by openssl at test time, and capture
 * of real ClientHellos sent by openssl s_client and by Bun's own TLS client to a raw listener.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { CLIENT_HELLO_CAP, parseClientHello } from "../../../src/wasm/index.ts";

/** A PEM key pair for one DNS name. */
export interface TestCert {
  cert: string;
  key: string;
}

/** Generates a self-signed EC certificate for `name` with openssl into a temp dir. */
export function makeCert(name: string): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-l4-cert-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const proc = Bun.spawnSync([
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", `/CN=${name}`,
    "-addext", `subjectAltName=DNS:${name}`,
  ], { stdout: "ignore", stderr: "pipe" });
  if (proc.exitCode !== 0) throw new Error(`openssl req failed: ${proc.stderr.toString()}`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

/** Something that connects to `port` and can be stopped afterwards. */
export type HelloClient = (port: number) => { stop(): void };

/** Runs `client` against a raw listener and returns the first complete hello it sent (≤ 5 s). */
export async function captureHello(client: HelloClient): Promise<Uint8Array> {
  let acc = new Uint8Array(0);
  let done: (b: Uint8Array) => void = () => {};
  const result = new Promise<Uint8Array>((resolve) => (done = resolve));
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        const next = new Uint8Array(acc.length + chunk.length);
        next.set(acc);
        next.set(chunk, acc.length);
        acc = next;
        if (parseClientHello(acc).status !== "need_more" || acc.length >= CLIENT_HELLO_CAP) {
          done(acc);
          socket.end();
        }
      },
    },
  });
  const c = client(listener.port);
  const timer = setTimeout(() => done(acc), 5000);
  try {
    return await result;
  } finally {
    clearTimeout(timer);
    c.stop();
    listener.stop(true);
  }
}

/** openssl s_client as the client; `extra` adds flags (e.g. -alpn, -noservername). */
export function opensslClient(serverName: string | null, extra: string[] = []): HelloClient {
  return (port) => {
    const sni = serverName === null ? ["-noservername"] : ["-servername", serverName];
    const proc = Bun.spawn(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, ...sni, ...extra], {
      stdin: "pipe",
      stdout: "ignore",
      stderr: "ignore",
    });
    return { stop: () => proc.kill() };
  };
}

/** node:tls (Bun's TLS client) as the client, offering ALPN h2 and http/1.1. */
export function bunTlsClient(serverName: string): HelloClient {
  return (port) => {
    const s = tls.connect({ host: "127.0.0.1", port, servername: serverName, rejectUnauthorized: false,
      ALPNProtocols: ["h2", "http/1.1"] });
    s.on("error", () => {}); // the capture listener hangs up mid-handshake by design
    return { stop: () => s.destroy() };
  };
}

/** Splits a single-record hello into records whose fragments are `sizes` long (cycled). */
export function refragment(hello: Uint8Array, sizes: number[]): Uint8Array {
  const body = hello.subarray(5, 5 + ((hello[3]! << 8) | hello[4]!));
  const parts: number[] = [];
  let i = 0;
  for (let off = 0; off < body.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, body.length - off);
    parts.push(22, hello[1]!, hello[2]!, n >> 8, n & 0xff, ...body.subarray(off, off + n));
    off += n;
  }
  return new Uint8Array(parts);
}
