/**
 * The compression tests' backend (Bun.serve, an HTTP stack independent of Fulcrum's) and its
 * deterministic bodies: pages of known length with validators, large bodies generated in chunks
 * as they are read (pull streams, so a stalled client shows as a stalled producer), an event stream
 * that waits for the test between its events, and the responses compression must leave alone.
 */
import { gzipSync } from "node:zlib";
import { backend, type Backend } from "./l7-node.ts";

/** Piece `i` of a generated body: text lines with a pseudo-random token each (compressible ~3:1). */
export function piece(i: number, bytes: number): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = (i * 2654435761) >>> 0, at = 0;
  while (at < bytes) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    at += out.write(`piece ${i} line ${at} token ${x.toString(16)} and some steady words\n`, at, "latin1");
  }
  return out;
}

/** The whole of `/gen?pieces=N&size=S`, as the test expects it. */
export function generated(pieces: number, size: number): Buffer {
  return Buffer.concat(Array.from({ length: pieces }, (_, i) => piece(i, size)));
}

export interface CompressBackend {
  be: Backend;
  /** Bytes the generator handed to the server so far (pull-driven: stops when nobody reads). */
  pulled(): number;
  /** Lets the held event stream send its second event. */
  releaseEvent(): void;
  gzipped: Buffer;
}

/** Starts the backend. */
export function compressBackend(name = "app"): CompressBackend {
  let pulled = 0;
  let release: () => void = () => {};
  const gzipped = gzipSync(piece(0, 5000));
  const be = backend(name, (req) => {
    const u = new URL(req.url);
    const n = Number(u.searchParams.get("n") ?? 4000);
    switch (u.pathname.replace(/^\/(off|events)/, "")) {
      case "/page":
        return new Response(piece(1, n), { headers: { "content-type": "text/html; charset=utf-8", etag: '"v1"', "accept-ranges": "bytes" } });
      case "/weak":
        return new Response(piece(2, n), { headers: { "content-type": "text/plain", etag: 'W/"w1"', vary: "Origin" } });
      case "/gen": {
        const pieces = Number(u.searchParams.get("pieces")), size = Number(u.searchParams.get("size"));
        let i = 0;
        const body = new ReadableStream({
          pull(c) {
            if (i === pieces) return c.close();
            const p = piece(i++, size);
            pulled += p.length;
            c.enqueue(p);
          },
        }, { highWaterMark: 0 });
        return new Response(body, { headers: { "content-type": u.searchParams.get("type") ?? "text/plain" } });
      }
      case "/sse": {
        const held = new Promise<void>((r) => (release = r));
        const body = new ReadableStream({
          async start(c) {
            c.enqueue(Buffer.from("data: first\n\n"));
            await held;
            c.enqueue(Buffer.from("data: second\n\n"));
            c.close();
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      }
      case "/small":
        return new Response(piece(3, 200), { headers: { "content-type": "application/json" } });
      case "/png":
        return new Response(piece(4, n), { headers: { "content-type": "image/png" } });
      case "/gz":
        return new Response(gzipped, { headers: { "content-type": "text/plain", "content-encoding": "gzip" } });
      case "/nt":
        return new Response(piece(5, n), { headers: { "content-type": "text/plain", "cache-control": "public, no-transform" } });
      case "/range": {
        const body = piece(6, n);
        if (!req.headers.get("range")) return new Response(body, { headers: { "content-type": "text/plain" } });
        return new Response(body.subarray(0, 100), { status: 206, headers: { "content-type": "text/plain", "content-range": `bytes 0-99/${n}` } });
      }
      case "/204":
        return new Response(null, { status: 204 });
      case "/304":
        return new Response(null, { status: 304, headers: { etag: '"v1"' } });
      default:
        return undefined;
    }
  });
  return { be, pulled: () => pulled, releaseEvent: () => release(), gzipped };
}
