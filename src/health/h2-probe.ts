/**
 * One HTTP/2 connection a health check keeps per backend (h2 over TLS with ALPN h2, or h2c): each
 * probe is a stream of it, so a probe costs a request, not a handshake. Fulcrum's own codec (src/h2)
 * in the client role over a plain Bun.connect socket; any failure closes the connection and the
 * next probe opens a fresh one (proving a connection can still be made).
 */
import type { Socket, SocketHandler } from "bun";
import { LbError } from "../errors.ts";
import { H2Connection, type H2Output, type H2Request, type H2Stream, type H2StreamHandler, type HeaderList } from "../h2/index.ts";
import type { CheckSpec, CheckTarget } from "./types.ts";

/** What a probe got back: the final status, the head's and the trailers' fields, the body's first bytes. */
export interface H2ProbeResponse {
  status: number;
  head: HeaderList;
  trailers: HeaderList | null;
  body: Buffer;
}

/** Only this much of a body is kept (for `body` and gRPC's message). */
const MAX_BODY = 64 * 1024;
const ALPN_H2 = Buffer.from("\x02h2", "latin1");

const HANDLERS: SocketHandler<H2Probe> = {
  open: (s) => s.data.onOpen(s),
  handshake: (s, ok, err) => s.data.onHandshake(ok, err),
  data: (s, d) => s.data.h2.feed(d as Buffer),
  drain: (s) => s.data.flush(),
  close: (s) => s.data.fail(new LbError("UPSTREAM_RESET", `check of ${s.data.key}: connection closed`)),
  error: (s, err) => s.data.fail(new LbError("UPSTREAM_RESET", `check of ${s.data.key}: ${err.message}`, { cause: err })),
  connectError: (s, err) => s.data.fail(new LbError("UPSTREAM_CONNECT_FAILED", `check of ${s.data.key}: ${err.message}`, { cause: err })),
};

export class H2Probe implements H2Output {
  readonly key: string;
  readonly h2: H2Connection;
  /** False once closed or failed: the check opens another. */
  usable = true;
  private socket: Socket<H2Probe> | null = null;
  private ready = false;
  private queue: Buffer[] = [];
  private readonly pending = new Set<ProbeStream>();

  constructor(target: CheckTarget, private readonly tls: CheckSpec["tls"] | undefined) {
    this.key = target.key;
    this.h2 = new H2Connection("client", this, { onClose: () => this.fail(new LbError("UPSTREAM_RESET", `check of ${this.key}: HTTP/2 connection ended`)) });
    const t = tls && { serverName: tls.serverName ?? target.host, ca: tls.ca, rejectUnauthorized: tls.verify, ALPNProtocols: ALPN_H2 };
    Bun.connect<H2Probe>({ hostname: target.host, port: target.port, data: this, socket: HANDLERS, ...(t ? { tls: t } : {}) }).catch((err: unknown) => {
      this.fail(new LbError("UPSTREAM_CONNECT_FAILED", `check of ${this.key}: ${String(err)}`, { cause: err }));
    });
  }

  onOpen(s: Socket<H2Probe>): void {
    this.socket = s;
    if (!this.usable) return void s.end();
    if (!this.tls) this.start();
  }

  onHandshake(ok: boolean, err: Error | null): void {
    if (!ok && this.tls?.verify) return this.fail(new LbError("UPSTREAM_PROTOCOL", `check of ${this.key}: TLS: ${err?.message ?? "handshake failed"}`));
    if (this.socket?.alpnProtocol !== "h2") return this.fail(new LbError("UPSTREAM_PROTOCOL", `check of ${this.key}: the backend did not agree to HTTP/2 (ALPN h2)`));
    this.start();
  }

  private start(): void {
    this.ready = true;
    this.flush();
  }

  // ---- H2Output ----

  write(buf: Buffer, start: number, end: number): boolean {
    this.queue.push(Buffer.from(buf.subarray(start, end))); // the codec's arena is reused
    if (this.ready) this.flush();
    return true;
  }

  end(): void {
    this.socket?.end();
  }

  /** What it is handed is copied: the codec may write over its arena. */
  holding(): boolean {
    return false;
  }

  flush(): void {
    const s = this.socket;
    if (s === null || !this.ready) return;
    while (this.queue.length > 0) {
      const b = this.queue[0]!;
      const n = s.write(b);
      if (n < b.length) {
        this.queue[0] = b.subarray(Math.max(0, n));
        return;
      }
      this.queue.shift();
    }
  }

  /** Sends one request (with `body`, if any) and resolves with the response; rejects with an LbError. */
  exchange(req: H2Request, body: Buffer | null): Promise<H2ProbeResponse> {
    if (!this.usable) return Promise.reject(new LbError("UPSTREAM_RESET", `check of ${this.key}: connection closed`));
    return new Promise((resolve, reject) => {
      const ps = new ProbeStream(this.key, resolve, reject, this.pending);
      this.pending.add(ps);
      const stream = this.h2.request(ps, req, body === null);
      if (stream === null) return ps.reject(new LbError("UPSTREAM_PROTOCOL", `check of ${this.key}: the connection takes no new stream`));
      if (body !== null) this.h2.sendData(stream, body, 0, body.length, true);
    });
  }

  /** Closes the connection; probes waiting on it fail with `err`. */
  fail(err: LbError): void {
    if (!this.usable) return;
    this.usable = false;
    for (const ps of [...this.pending]) ps.reject(err);
    this.pending.clear();
    this.h2.transportClosed();
    this.socket?.end();
  }

  close(): void {
    this.fail(new LbError("UPSTREAM_RESET", `check of ${this.key} stopped`));
  }
}

/** One probe's stream: collects the response, settles once. */
class ProbeStream implements H2StreamHandler {
  private head: HeaderList | null = null;
  private chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    private readonly key: string, private readonly ok: (r: H2ProbeResponse) => void, private readonly ko: (e: LbError) => void,
    private readonly pending: Set<ProbeStream>,
  ) {}

  onHeaders(_s: H2Stream, head: HeaderList, endStream: boolean): void {
    if (head.status < 200) return;
    this.head = head;
    if (endStream) this.finish(null);
  }

  onData(_s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (this.bytes < MAX_BODY) {
      const n = Math.min(end - start, MAX_BODY - this.bytes);
      this.chunks.push(Buffer.from(buf.subarray(start, start + n)));
      this.bytes += n;
    }
    if (endStream) this.finish(null);
  }

  onTrailers(_s: H2Stream, trailers: HeaderList): void {
    this.finish(trailers);
  }

  onReset(_s: H2Stream, code: number, reason: string): void {
    this.reject(new LbError("UPSTREAM_RESET", `check of ${this.key}: stream reset (${reason}, code ${code})`));
  }

  onWritable(): void {}

  reject(e: LbError): void {
    if (!this.pending.delete(this)) return;
    this.ko(e);
  }

  private finish(trailers: HeaderList | null): void {
    if (this.head === null || !this.pending.delete(this)) return;
    this.ok({ status: this.head.status, head: this.head, trailers, body: Buffer.concat(this.chunks) });
  }
}
