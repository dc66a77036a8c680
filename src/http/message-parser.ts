/**
 * The incremental machine shared by the request and response parsers: accumulates a head across
 * any packet split, then streams the body (Content-Length, chunked or until close) to a handler.
 * It stops after each complete message and returns the bytes it consumed, so the caller decides
 * when to parse the next one (pipelining in order). Any violation moves it to a terminal error state.
 */
import { CRLFCRLF } from "./chars.ts";
import { ChunkedDecoder, type BodySink } from "./chunked.ts";
import { HeadStore } from "./head-store.ts";
import { BodyKind, FIELD_STRIDE, type HttpHead } from "./head.ts";
import type { HttpLimits } from "./limits.ts";
import { HttpParseError, badMessage } from "./parse-error.ts";
import { PartialHead } from "./partial-head.ts";

/** What a parser reports; views passed to onBody are valid only during the call. */
export interface MessageHandler<H> {
  onHead(head: H): void;
  /** Body bytes buf[start, end) (valid only during the call; ranges avoid allocating views). */
  onBody(buf: Buffer, start: number, end: number): void;
  /** The message is complete; `trailers` holds the chunked trailer field lines, if any. */
  onEnd(trailers: Buffer | null): void;
}

let sharedScratch = new Int32Array(100 * FIELD_STRIDE);

export const enum ParserState { Head, Length, Chunked, Close, Tunnel, Error, Halted }

/** Base of RequestParser and ResponseParser; `handler` may be swapped between messages. */
export abstract class MessageParser<H extends HttpHead> {
  state = ParserState.Head;
  /** Set when the state is Error. */
  error: HttpParseError | null = null;
  /** Deliver chunked bodies as the raw encoded bytes (validated), instead of decoded data. */
  raw = false;
  private readonly partial: PartialHead;
  private gotHead = false;
  private remaining = 0;
  private chunked: ChunkedDecoder | null = null;
  private readonly sink: BodySink;

  constructor(public handler: MessageHandler<H>, protected readonly limits: HttpLimits, protected readonly upstream: boolean) {
    this.sink = (b, s, e) => this.handler.onBody(b, s, e);
    this.partial = new PartialHead(limits, upstream);
  }

  /**
   * Field offsets are collected here, then copied into the head: parsing is synchronous, so one
   * scratch serves every parser (10,000 idle connections do not each hold 2 KiB of it).
   */
  protected get scratch(): Int32Array {
    const need = this.limits.maxHeaderCount * FIELD_STRIDE;
    if (sharedScratch.length < need) sharedScratch = new Int32Array(need);
    return sharedScratch;
  }

  /**
   * Non-null once `reuseHeads()` was called: every head this parser reads is then one object (and
   * one table of field offsets), made afresh for each message. For owners that are done with a
   * head before the next one is parsed (a client connection runs one exchange at a time; an
   * upstream connection serves one exchange at a time): no head is allocated per message.
   */
  protected heads: HeadStore | null = null;

  reuseHeads(): void {
    this.heads ??= new HeadStore();
  }

  /** The last head is done with: its packet is let go (see HeadStore.letGo); its fields read nothing after. */
  letGoOfHead(): void {
    this.heads?.letGo();
  }

  /** Parses the complete head at buf[start, end); null = only empty lines. */
  protected abstract parseHead(buf: Buffer, start: number, end: number): H | null;

  /** True while a head has been partly received (for the header timeout). */
  get midHead(): boolean {
    return this.state === ParserState.Head && this.partial.len > 0;
  }

  /** Stops the parser for good (the caller is closing the connection). */
  halt(): void {
    if (this.state !== ParserState.Error) this.state = ParserState.Halted;
  }

  /**
   * Consumes buf[start..]; returns the offset it stopped at (end of input, or just past a complete
   * message or a tunnel-starting head), or -1 after a parse error (see `error`).
   */
  feed(buf: Buffer, start = 0): number {
    try {
      return this.run(buf, start);
    } catch (e) {
      if (!(e instanceof HttpParseError)) throw e;
      this.state = ParserState.Error;
      this.error = e;
      this.partial.reset();
      return -1;
    }
  }

  /** The peer closed: completes a close-delimited body; a message cut short is an error. */
  feedEof(): HttpParseError | null {
    if (this.state === ParserState.Close) return this.end(null), null;
    if (this.state === ParserState.Head && this.partial.len === 0) return null;
    if (this.state === ParserState.Error || this.state === ParserState.Halted || this.state === ParserState.Tunnel) return this.error;
    this.state = ParserState.Error;
    return (this.error = badMessage("PREMATURE_EOF", this.upstream));
  }

  private run(buf: Buffer, pos: number): number {
    const len = buf.length;
    while (pos < len) {
      switch (this.state) {
        case ParserState.Head: {
          const at = this.readHead(buf, pos);
          if (at < 0) return len;
          pos = at;
          // a head was parsed (not just empty lines): stop after a bodiless message or a tunnel
          const st = this.state as ParserState;
          if (this.gotHead && st !== ParserState.Length && st !== ParserState.Chunked && st !== ParserState.Close) return pos;
          break;
        }
        case ParserState.Length: {
          const n = Math.min(this.remaining, len - pos);
          this.handler.onBody(buf, pos, pos + n);
          pos += n;
          if ((this.remaining -= n) === 0) return this.end(null), pos;
          break;
        }
        case ParserState.Chunked: {
          const dec = this.chunked!, p0 = pos;
          pos = dec.feed(buf, pos, len, this.raw ? null : this.sink);
          if (this.raw && pos > p0) this.handler.onBody(buf, p0, pos);
          if (dec.done) return this.end(this.raw ? null : dec.trailers), pos;
          break;
        }
        case ParserState.Close:
          this.handler.onBody(buf, pos, len);
          return len;
        case ParserState.Error:
          return -1;
        default:
          return pos;
      }
    }
    return pos;
  }

  private end(trailers: Buffer | null): void {
    this.state = ParserState.Head;
    this.chunked = null;
    this.handler.onEnd(trailers);
  }

  /** Finds the head's end; returns the offset after it, or -1 when more bytes are needed. */
  private readHead(buf: Buffer, pos: number): number {
    let head = buf, hs = pos, he: number, next: number;
    this.gotHead = false;
    const partial = this.partial;
    if (partial.len === 0) {
      const i = buf.indexOf(CRLFCRLF, pos);
      if (i < 0 || i + 4 - pos > this.limits.maxHeaderBytes) return partial.add(buf, pos);
      he = next = i + 4;
    } else {
      const old = partial.len;
      he = partial.add(buf, pos);
      if (he < 0) return -1;
      head = partial.buf!;
      hs = 0;
      next = pos + (he - old);
      partial.reset();
    }
    const h = this.parseHead(head, hs, he);
    if (h !== null) {
      this.gotHead = true;
      this.begin(h);
    }
    return next;
  }

  private begin(h: H): void {
    switch (h.bodyKind) {
      case BodyKind.None: this.handler.onHead(h); if (this.state === ParserState.Head) this.end(null); return;
      case BodyKind.Length: this.remaining = h.contentLength; this.state = ParserState.Length; break;
      case BodyKind.Chunked: this.chunked = new ChunkedDecoder(this.limits, this.upstream); this.state = ParserState.Chunked; break;
      case BodyKind.Close: this.state = ParserState.Close; break;
      case BodyKind.Tunnel: this.state = ParserState.Tunnel; break;
    }
    this.handler.onHead(h);
  }
}
