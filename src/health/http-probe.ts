/**
 * One HTTP/1.1 connection a health check sends its probes on: a plain `Bun.connect` socket and
 * Fulcrum's own response parser (src/http), no fetch. It carries one probe at a time; the
 * check (http-check.ts) decides whether it is kept for the next probe or closed.
 */
import type { Socket, SocketHandler } from "bun";
import { LbError } from "../errors.ts";
import { ResponseParser, type ResponseHead } from "../http/index.ts";
import type { CheckSpec, CheckTarget } from "./types.ts";

/** Only this much of a body is looked at (for the `body` substring); past it the connection is dropped. */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;

/** A probe's response: the final status and (when asked for) the first 64 KiB of the body. */
export interface ProbeResponse {
  status: number;
  body: string;
}

/** A probe error that came before any response byte on a reused connection (the idle-close race). */
export class StaleConnectionError extends LbError {}

interface Waiter {
  resolve(r: ProbeResponse): void;
  reject(e: LbError): void;
}

// One handler object for every probe connection: nothing is allocated per socket for callbacks.
const HANDLERS: SocketHandler<ProbeConnection> = {
  open: (s) => s.data.onOpen(s),
  data: (s, buf) => s.data.onData(buf),
  drain: (s) => s.data.onDrain(),
  close: (s) => s.data.onClose(),
  error: (s, err) => s.data.fail(new LbError("UPSTREAM_RESET", `http check of ${s.data.key}: ${err.message}`, { cause: err })),
  connectError: (s, err) => s.data.fail(new LbError("UPSTREAM_CONNECT_FAILED", `http check of ${s.data.key}: ${err.message}`, { cause: err })),
  // A certificate the traffic would refuse fails the check with the reason (not just a close).
  handshake: (s, success, authError) => {
    if (!success && s.data.verify) s.data.fail(new LbError("UPSTREAM_PROTOCOL", `http check of ${s.data.key}: TLS: ${authError?.message ?? "handshake failed"}`));
  },
};

/** A keep-alive (or one-shot) probe connection to one backend. */
export class ProbeConnection {
  readonly key: string;
  /** False once closed by either side, failed, or unfit for another request: never reuse it then. */
  usable = true;
  /** Probes sent on this connection so far. */
  uses = 0;
  /** TLS with certificate verification (a failed verification fails the probe). */
  readonly verify: boolean;
  #socket: Socket<ProbeConnection> | undefined;
  #out = "";
  #waiter: Waiter | undefined;
  #collect = false;
  #status = 0;
  #keepAlive = true;
  #gotBytes = false;
  #bodyBytes = 0;
  #chunks: Buffer[] = [];
  readonly #parser: ResponseParser;

  /** Starts connecting at once (over TLS with `tls`); a request may be sent before the connection is up (it waits). */
  constructor(target: CheckTarget, tls?: CheckSpec["tls"]) {
    this.key = target.key;
    this.verify = tls?.verify === true;
    this.#parser = new ResponseParser({
      onHead: (h) => this.#onHead(h),
      onBody: (b, s, e) => this.#onBody(b, s, e),
      onEnd: () => this.#onEnd(),
    });
    const tlsOptions = tls && { serverName: tls.serverName ?? target.host, ca: tls.ca, rejectUnauthorized: tls.verify };
    Bun.connect<ProbeConnection>({ hostname: target.host, port: target.port, data: this, socket: HANDLERS, ...(tlsOptions ? { tls: tlsOptions } : {}) }).catch((err: unknown) => {
      this.fail(new LbError("UPSTREAM_CONNECT_FAILED", `http check of ${this.key}: ${String(err)}`, { cause: err }));
    });
  }

  /** True while a probe is waiting for its response. */
  get busy(): boolean {
    return this.#waiter !== undefined;
  }

  /** Sends `request` (a complete head, no body) and resolves with the response to `method`. */
  exchange(request: string, method: string, collectBody: boolean): Promise<ProbeResponse> {
    if (!this.usable || this.#waiter) return Promise.reject(new LbError("INTERNAL", `http check of ${this.key}: connection not usable`));
    this.uses++;
    this.#collect = collectBody;
    this.#status = 0;
    this.#keepAlive = true;
    this.#gotBytes = false;
    this.#bodyBytes = 0;
    this.#chunks = [];
    this.#parser.expect(method);
    return new Promise<ProbeResponse>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.#out = request;
      if (this.#socket) this.onDrain();
    });
  }

  /** Fails the probe in flight (if any) with `err` and closes the connection. */
  fail(err: LbError): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    this.close();
    w?.reject(err);
  }

  /** Closes the connection (idempotent); a probe in flight is failed by its caller, not here. */
  close(): void {
    this.usable = false;
    this.#parser.halt();
    this.#socket?.end();
    this.#socket = undefined;
  }

  /** @internal socket handler */
  onOpen(s: Socket<ProbeConnection>): void {
    if (!this.usable) {
      s.end();
      return;
    }
    this.#socket = s;
    this.onDrain();
  }

  /** @internal socket handler: writes what is left of the request (partial writes are normal). */
  onDrain(): void {
    if (this.#out.length === 0 || !this.#socket) return;
    const n = this.#socket.write(this.#out);
    this.#out = n > 0 ? this.#out.slice(n) : this.#out;
  }

  /** @internal socket handler */
  onData(buf: Buffer): void {
    if (!this.#waiter) {
      // Bytes nobody asked for (an unsolicited 408, junk): this connection can't be trusted again.
      this.close();
      return;
    }
    this.#gotBytes = true;
    let pos = 0;
    while (pos < buf.length && this.#waiter) {
      const at = this.#parser.feed(buf, pos);
      if (at < 0) {
        this.fail(new LbError("UPSTREAM_PROTOCOL", `http check of ${this.key}: ${this.#parser.error?.message ?? "malformed response"}`));
        return;
      }
      pos = at;
    }
    // Anything after the response is not ours (pipelining was not asked for): don't reuse.
    if (pos < buf.length) this.close();
  }

  /** @internal socket handler */
  onClose(): void {
    this.usable = false;
    this.#socket = undefined;
    if (!this.#waiter) return;
    // A close-delimited body ends here (feedEof completes it through onEnd); anything else was cut short.
    const cut = this.#parser.feedEof();
    if (!this.#waiter) return;
    const msg = `http check of ${this.key}: connection closed before the response ${cut ? "ended" : "came"}`;
    this.fail(this.#gotBytes || this.uses === 1 ? new LbError("UPSTREAM_RESET", msg) : new StaleConnectionError("UPSTREAM_RESET", msg));
  }

  #onHead(h: ResponseHead): void {
    // 1xx (but 101) heads are interim: the final response follows on the same connection.
    if (h.status < 200 && h.status !== 101) return;
    this.#status = h.status;
    this.#keepAlive = h.keepAlive && h.status !== 101;
    if (h.status === 101) this.#finish();
  }

  #onBody(b: Buffer, s: number, e: number): void {
    if (this.#collect) this.#chunks.push(Buffer.from(b.subarray(s, Math.min(e, s + MAX_PROBE_BODY_BYTES - this.#bodyBytes))));
    this.#bodyBytes += e - s;
    // Bounded: the rest of a big body is not read; the connection goes instead.
    if (this.#bodyBytes >= MAX_PROBE_BODY_BYTES) {
      this.#keepAlive = false;
      this.#finish();
    }
  }

  #onEnd(): void {
    if (this.#status !== 0) this.#finish();
  }

  #finish(): void {
    const w = this.#waiter;
    if (!w) return;
    this.#waiter = undefined;
    if (!this.#keepAlive) this.close();
    const body = this.#collect ? Buffer.concat(this.#chunks).toString("utf8") : "";
    this.#chunks = [];
    w.resolve({ status: this.#status, body });
  }
}
