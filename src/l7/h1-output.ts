/**
 * The response side of an HTTP/1.x client connection (ClientSide's writes): heads by
 * h1-response.ts, bodies relayed as they come (chunk framing included from an HTTP/1.1 backend),
 * or framed here as chunked when the head came from an HTTP/2 backend without a length.
 * Session builds on it; the socket writer is the one the session reads its client's drain into.
 */
import { BodyKind, emitChunk, emitLastChunk, type RequestHead, type ResponseHead } from "../http/index.ts";
import type { ClientExchange } from "./client-side.ts";
import { Deadline } from "./deadline.ts";
import { writeFinalHead, writeInterimHead } from "./h1-response.ts";
import type { ProxyReply } from "./hooks.ts";
import { encodeReply } from "./reply.ts";
import type { ServerCore } from "./server-core.ts";
import { trailerLines, type Trailers } from "./trailers.ts";
import { SocketWriter, type WriterOwner } from "./writer.ts";

export abstract class H1Output extends Deadline implements WriterOwner {
  readonly writer = new SocketWriter(this);
  /** The body being written needs chunk framing from us (a decoded body of no declared length). */
  private chunkOut = false;

  constructor(server: ServerCore) {
    super(server);
  }

  abstract onWriterDrained(): void;

  /** The client's socket drained: what the writer holds goes on. */
  onDrain(): void {
    this.writer.flush();
  }

  httpVersion(req: RequestHead): string {
    return req.versionMinor === 1 ? "HTTP/1.1" : "HTTP/1.0";
  }

  rawChunks(req: RequestHead): boolean {
    // HTTP/1.0 clients cannot read chunked framing: decode, then delimit the body by close
    return req.versionMinor === 1;
  }

  cork(): void {
    this.writer.cork();
  }

  uncork(): void {
    this.writer.uncork();
  }

  writeInterim(ex: ClientExchange, res: ResponseHead): void {
    writeInterimHead(ex, res, this.writer);
  }

  writeHead(ex: ClientExchange, res: ResponseHead): boolean {
    // an HTTP/2 backend's body of no declared length, or one compressed here: chunked for a 1.1
    // client (a 1.0 one reads to the close; compression skips 1.0 clients)
    this.chunkOut = ex.req.versionMinor === 1 && (ex.contentCoding !== null || (!res.framed && res.bodyKind === BodyKind.Chunked));
    return writeFinalHead(ex, res, this.server.draining, this.chunkOut, this.writer);
  }

  writeBody(buf: Buffer, start: number, end: number): boolean {
    return this.chunkOut ? emitChunk(this.writer, buf, start, end) : this.writer.write(buf, start, end);
  }

  writeEnd(trailers: Trailers | null): void {
    // a relayed chunked body carried its own last chunk; others end by length or by the close
    if (!this.chunkOut) return;
    this.chunkOut = false;
    emitLastChunk(this.writer, trailers === null ? null : trailerLines(trailers));
  }

  writeReply(ex: ClientExchange, reply: ProxyReply): void {
    this.writer.write(encodeReply(reply, ex.closeAfter, ex.req.method === "HEAD"));
  }
}
