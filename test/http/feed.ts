/** Test helpers: feed a parser a byte stream under a given packet split and record what it reports. */
import type { HttpHead, HttpParseError, MessageHandler, MessageParser } from "../../src/http/index.ts";
export { mulberry32 as rng } from "../helpers/rng.ts";
import { mulberry32 as rng } from "../helpers/rng.ts";

export interface Message<H> {
  head: H;
  body: Buffer;
  trailers: string | null;
}

export interface Run<H> {
  messages: Message<H>[];
  error: HttpParseError | null;
}


/** Split points: "whole", "bytes" (one byte per packet), or a seed for random packet sizes (1..64). */
export type Split = "whole" | "bytes" | number;

export function chunks(data: Buffer, split: Split): Buffer[] {
  if (split === "whole") return [data];
  const out: Buffer[] = [];
  const next = split === "bytes" ? () => 1 : ((r) => () => 1 + Math.floor(r() * 64))(rng(split));
  for (let i = 0; i < data.length; ) {
    const n = next();
    out.push(Buffer.from(data.subarray(i, i + n)));
    i += n;
  }
  return out;
}

/** A recording handler plus its parser, built by `make`. */
export function run<H extends HttpHead>(
  make: (h: MessageHandler<H>) => MessageParser<H>, data: Buffer | string, split: Split, eof = false,
): Run<H> {
  const messages: Message<H>[] = [];
  let body: Buffer[] = [];
  let cur: H | null = null;
  const p = make({
    onHead: (h) => {
      cur = h;
      body = [];
    },
    onBody: (b, s, e) => body.push(Buffer.from(b.subarray(s, e))),
    onEnd: (t) => {
      messages.push({ head: cur!, body: Buffer.concat(body), trailers: t === null ? null : t.toString("latin1") });
      cur = null;
    },
  });
  const buf = typeof data === "string" ? Buffer.from(data, "latin1") : data;
  for (const c of chunks(buf, split)) {
    let pos = 0;
    // the parser stops after each message; keep feeding the rest of the packet
    for (let guard = 0; pos < c.length && guard < 10_000; guard++) {
      const r = p.feed(c, pos);
      if (r < 0) return { messages, error: p.error };
      if (r === pos && p.state !== 0) break;
      pos = r;
    }
  }
  if (eof) {
    const e = p.feedEof();
    if (e) return { messages, error: e };
  }
  return { messages, error: p.error };
}

/** The splits every case runs under: whole, byte by byte, and three random ones. */
export const SPLITS: Split[] = ["whole", "bytes", 1, 2, 3];
