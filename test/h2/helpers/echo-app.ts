/**
 * What the test server answers, per request path:
 *   /echo          200 at once, the request body streamed back, its trailers returned as trailers
 *   /big/N         200 with N bytes of body, produced under backpressure
 *   /status/NNN    that status with a short body (none for 204 and 304)
 *   /headers       200 with the request's fields as JSON (pseudo-headers as :name)
 *   /delay/MS      200 "hello, h2\n" MS milliseconds after the request ended
 *   anything else  200 "hello, h2\n"
 * A request is answered once it has ended, except /echo and /big, which answer at once.
 */
import type { H2Connection, H2Stream, H2StreamHandler, HeaderList } from "../../../src/h2/index.ts";

const HELLO = Buffer.from("hello, h2\n");
const CHUNK = Buffer.alloc(16 * 1024, 0x61);

export class EchoStream implements H2StreamHandler {
  private bigLeft = 0;
  private readonly path: string;

  constructor(private readonly conn: H2Connection, private readonly stream: H2Stream, private readonly head: HeaderList) {
    this.path = head.path;
  }

  /** The request head arrived (`ended`: it has no body). */
  start(ended: boolean): void {
    if (this.path === "/echo") {
      this.conn.respond(this.stream, 200, ["content-type", "application/octet-stream"], false);
      if (ended) this.conn.sendData(this.stream, HELLO, 0, 0, true);
      return;
    }
    const big = /^\/big\/(\d+)$/.exec(this.path);
    if (big) {
      this.bigLeft = Number(big[1]);
      this.conn.respond(this.stream, 200, ["content-length", String(this.bigLeft)], this.bigLeft === 0);
      this.produce();
      return;
    }
    if (ended) this.answer();
  }

  private answer(): void {
    const delay = /^\/delay\/(\d+)$/.exec(this.path);
    if (delay) {
      setTimeout(() => this.hello(), Number(delay[1]));
      return;
    }
    const status = /^\/status\/(\d{3})$/.exec(this.path);
    if (status && (status[1] === "204" || status[1] === "304")) {
      this.conn.respond(this.stream, Number(status[1]), [], true);
      return;
    }
    if (status) {
      const body = Buffer.from(`status ${status[1]}\n`);
      this.conn.respond(this.stream, Number(status[1]), ["content-type", "text/plain", "content-length", String(body.length)], false);
      this.conn.sendData(this.stream, body, 0, body.length, true);
      return;
    }
    if (this.path === "/headers") {
      const h = this.head;
      const all = [[":method", h.method], [":scheme", h.scheme], [":authority", h.authority], [":path", h.path], ...h.entries()];
      const body = Buffer.from(JSON.stringify(all));
      this.conn.respond(this.stream, 200, ["content-type", "application/json"], false);
      this.conn.sendData(this.stream, body, 0, body.length, true);
      return;
    }
    this.hello();
  }

  private hello(): void {
    this.conn.respond(this.stream, 200, ["content-type", "text/plain", "content-length", String(HELLO.length)], false);
    this.conn.sendData(this.stream, HELLO, 0, HELLO.length, true);
  }

  private produce(): void {
    while (this.bigLeft > 0) {
      const n = Math.min(CHUNK.length, this.bigLeft);
      this.bigLeft -= n;
      if (!this.conn.sendData(this.stream, CHUNK, 0, n, this.bigLeft === 0)) return;
    }
  }

  onHeaders(): void {}

  onData(_s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): void {
    if (this.path !== "/echo") {
      if (endStream) this.answer();
      return;
    }
    const copy = Buffer.from(buf.subarray(start, end)); // the codec's buffer is only ours during the call
    if (!this.conn.sendData(this.stream, copy, 0, copy.length, endStream)) this.conn.pause(this.stream);
  }

  onTrailers(_s: H2Stream, trailers: HeaderList): void {
    if (this.path !== "/echo") return this.answer();
    this.conn.sendTrailers(this.stream, trailers.entries().flat());
  }

  onReset(): void {
    this.bigLeft = 0;
  }

  onWritable(): void {
    if (this.bigLeft > 0) return this.produce();
    this.conn.resume(this.stream);
  }
}
