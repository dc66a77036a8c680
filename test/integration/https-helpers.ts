/**
 * Helpers for the https tests: certificates made with openssl, openssl s_client runs, and a
 * keep-alive HTTP/1.1 client over node:tls that sends several requests on one connection.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";

/** Runs `cmd` (bounded by `timeoutMs`) with stdin closed; resolves with its exit code and output. */
export async function run(cmd: string[], timeoutMs = 10_000): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => p.kill(), timeoutMs);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Writes `dir/name.crt` and `dir/name.key`: a self-signed P-256 certificate for `cn` with subjectAltName `san`. */
export async function makeCert(dir: string, name: string, cn: string, san: string, extraSubject = ""): Promise<void> {
  const r = await run([
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`), "-days", "2",
    "-subj", `/CN=${cn}${extraSubject}`, "-addext", `subjectAltName=${san}`,
  ]);
  if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
}

/** `openssl s_client` to 127.0.0.1:port with `args`; its stdout and stderr together. */
export async function sClient(port: number, args: string[]): Promise<string> {
  const r = await run(["openssl", "s_client", "-connect", `127.0.0.1:${port}`, ...args]);
  return r.stdout + r.stderr;
}

/** The CN of the server certificate s_client printed ("" when there was none). */
export function cn(out: string): string {
  return /subject=.*?CN\s*=\s*([^,\n/]+)/.exec(out)?.[1]?.trim() ?? "";
}

/** One TLS connection that carries several HTTP/1.1 requests, one after another. */
export class TlsClient {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  closed = false;

  private constructor(private readonly sock: tls.TLSSocket, private readonly host: string) {
    sock.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    sock.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** Connects to 127.0.0.1:port with SNI `servername`, verifying against the CA file `caFile`. */
  static open(port: number, servername: string, caFile: string): Promise<TlsClient> {
    return new Promise((resolve, reject) => {
      const sock = tls.connect({ host: "127.0.0.1", port, servername, ca: readFileSync(caFile, "utf8"), ALPNProtocols: ["http/1.1"] });
      const timer = setTimeout(() => reject(new Error("TLS connect timed out")), 5_000);
      sock.once("secureConnect", () => {
        clearTimeout(timer);
        resolve(new TlsClient(sock, servername));
      });
      sock.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  /** SHA-256 fingerprint of the certificate the server presented. */
  get fingerprint(): string {
    return this.sock.getPeerCertificate().fingerprint256;
  }

  /** Sends GET `path` on this connection; resolves with the body (Content-Length framed). */
  async get(path: string, timeoutMs = 5_000): Promise<string> {
    if (this.closed) throw new Error("connection closed");
    this.sock.write(`GET ${path} HTTP/1.1\r\nHost: ${this.host}\r\n\r\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString("latin1");
        const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
        if (/\r\nconnection:\s*close/i.test(head)) throw new Error("server ended keep-alive");
        if (this.buf.length >= end + 4 + len) {
          const body = this.buf.subarray(end + 4, end + 4 + len).toString();
          this.buf = this.buf.subarray(end + 4 + len);
          return body;
        }
      }
      if (this.closed) throw new Error("connection closed before the response");
      if (Date.now() > deadline) throw new Error("no response in time");
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 50);
      });
    }
  }

  close(): void {
    this.sock.end();
  }
}
