/**
 * A raw HTTP/1.1 backend (Bun.listen, no HTTP library) for trailer tests: it reads each request
 * (Content-Length or chunked body, trailers included), keeps what it saw, and answers with the
 * exact bytes the test gives, so the test knows byte for byte what the proxy received. Also a
 * small strict-enough chunked decoder both sides of a test use.
 */
import type { TCPSocketListener } from "bun";

/** One decoded chunked body: data, trailer lines (as sent, without CRLF) and where it ended. */
export interface Chunked {
  body: string;
  trailers: string[];
  /** Offset just past the final empty line. */
  end: number;
}

/** Decodes the chunked body starting at `from` in `text` (latin1); null while incomplete. */
export function decodeChunked(text: string, from: number): Chunked | null {
  let pos = from;
  let body = "";
  for (let guard = 0; guard < 100_000; guard++) {
    const eol = text.indexOf("\r\n", pos);
    if (eol < 0) return null;
    const size = parseInt(text.slice(pos, eol).split(";")[0]!, 16);
    if (Number.isNaN(size)) throw new Error(`bad chunk size at ${pos}: ${JSON.stringify(text.slice(pos, pos + 20))}`);
    pos = eol + 2;
    if (size === 0) break;
    if (text.length < pos + size + 2) return null;
    body += text.slice(pos, pos + size);
    pos += size + 2;
  }
  const trailers: string[] = [];
  for (;;) {
    const eol = text.indexOf("\r\n", pos);
    if (eol < 0) return null;
    const line = text.slice(pos, eol);
    pos = eol + 2;
    if (line === "") return { body, trailers, end: pos };
    trailers.push(line);
  }
}

/** What the backend saw of one request. */
export interface SeenRequest {
  head: string;
  body: string;
  trailers: string[];
}

export interface ChunkedBackend {
  readonly address: string;
  readonly seen: SeenRequest[];
  stop(): void;
}

/** Starts the backend on 127.0.0.1:0; every request is answered with `response` (raw bytes). */
export function chunkedBackend(response: string): ChunkedBackend {
  const seen: SeenRequest[] = [];
  const server: TCPSocketListener<{ buf: string }> = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, d) {
        s.data.buf += d.toString("latin1");
        for (let n = 0; n < 100; n++) {
          const buf = s.data.buf;
          const headEnd = buf.indexOf("\r\n\r\n");
          if (headEnd < 0) return;
          const head = buf.slice(0, headEnd);
          const lower = head.toLowerCase();
          let req: SeenRequest;
          let end: number;
          if (/\r\ntransfer-encoding:[^\r]*chunked/.test(lower)) {
            const c = decodeChunked(buf, headEnd + 4);
            if (c === null) return;
            req = { head, body: c.body, trailers: c.trailers };
            end = c.end;
          } else {
            const len = Number(/\r\ncontent-length:\s*(\d+)/.exec(lower)?.[1] ?? 0);
            if (buf.length < headEnd + 4 + len) return;
            req = { head, body: buf.slice(headEnd + 4, headEnd + 4 + len), trailers: [] };
            end = headEnd + 4 + len;
          }
          s.data.buf = buf.slice(end);
          seen.push(req);
          s.write(response);
        }
      },
      error() {},
    },
  });
  return { address: `127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}
