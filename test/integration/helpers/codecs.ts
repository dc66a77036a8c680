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
}

export interface Codec {
  readonly name: "HTTP/1.1" | "HTTP/2";
  call(port: number, path: string, init?: CallInit): Promise<Response>;
}

export const CODECS: readonly Codec[] = [
  { name: "HTTP/1.1", call: (port, path, init) => call(port, path, init) },
  { name: "HTTP/2", call: (port, path, init) => h2Call(port, path, init) },
];

/** Ends the HTTP/2 sessions the cases kept (afterAll). */
export function closeCodecs(): void {
  closeH2Sessions();
}
