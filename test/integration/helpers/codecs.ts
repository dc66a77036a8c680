/**
 * The client codecs the L7 cases run through: every case written once, proven over HTTP/1.1
 * (fetch) and HTTP/2 (node:http2, h2c by prior knowledge) against the same real node, the way
 * test/l7/cases.ts serves the parser and the socket tests.
 */
import { closeH2Sessions, h2Call } from "./h2-call.ts";
import { call } from "./l7-node.ts";

export interface CallInit {
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string;
  /** A body sent in these pieces without a declared length (HTTP/1.1: chunked). */
  pieces?: string[];
}

/** `pieces` as a stream fetch sends chunked. */
function stream(pieces: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const p of pieces) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });
}

export interface Codec {
  readonly name: "HTTP/1.1" | "HTTP/2";
  call(port: number, path: string, init?: CallInit): Promise<Response>;
}

export const CODECS: readonly Codec[] = [
  { name: "HTTP/1.1", call: (port, path, init = {}) => call(port, path, { ...init, body: init.pieces ? stream(init.pieces) : init.body }) },
  { name: "HTTP/2", call: (port, path, init = {}) => h2Call(port, path, { ...init, body: init.pieces ? init.pieces.join("") : init.body }) },
];

/** `codec` as a load loop's sender (helpers-resilience/load.ts): a GET of `url`. */
export function sender(codec: Codec): (url: string, timeoutMs: number) => Promise<Response> {
  return (url, timeoutMs) => {
    const u = new URL(url);
    return codec.name === "HTTP/1.1"
      ? fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
      : h2Call(Number(u.port), u.pathname + u.search, { timeoutMs });
  };
}

/** Ends the HTTP/2 sessions the cases kept (afterAll). */
export function closeCodecs(): void {
  closeH2Sessions();
}
