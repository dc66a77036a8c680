/** A stream handler that writes down everything it is told, for assertions. */
import type { H2Stream, H2StreamHandler, HeaderList } from "../../../src/h2/index.ts";

export class Recorder implements H2StreamHandler {
  heads: HeaderList[] = [];
  body: Buffer[] = [];
  trailers: HeaderList | null = null;
  ended = false;
  reset: { code: number; reason: string } | null = null;
  writable = 0;
  /** Called for each piece of body (e.g. to echo it). */
  onBody: ((buf: Buffer, end: boolean) => void) | null = null;

  onHeaders(_s: H2Stream, h: HeaderList, end: boolean): void {
    this.heads.push(h);
    if (end) this.ended = true;
  }

  onData(_s: H2Stream, buf: Buffer, start: number, end: number, endStream: boolean): void {
    const b = Buffer.from(buf.subarray(start, end));
    this.body.push(b);
    if (endStream) this.ended = true;
    this.onBody?.(b, endStream);
  }

  onTrailers(_s: H2Stream, t: HeaderList): void {
    this.trailers = t;
    this.ended = true;
  }

  onReset(_s: H2Stream, code: number, reason: string): void {
    this.reset = { code, reason };
  }

  onWritable(): void {
    this.writable++;
  }

  text(): string {
    return Buffer.concat(this.body).toString("latin1");
  }

  get bytes(): number {
    return this.body.reduce((n, b) => n + b.length, 0);
  }
}
