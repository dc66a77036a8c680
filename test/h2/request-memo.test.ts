/**
 * A request block equal to the client's last one (same bytes, same decoder table) is not decoded
 * again (request-memo.ts): the server must see exactly the fields a decode gives, request after
 * request, through repeats, table insertions, never-indexed fields, other paths and malformed blocks.
 */
import { afterEach, describe, expect, spyOn, test } from "bun:test";
import type { H2Stream, HeaderList } from "../../src/h2/index.ts";
import { H } from "../../src/http/index.ts";
import { RequestMemo } from "../../src/h2/request-memo.ts";
import { mulberry32 } from "../helpers/rng.ts";
import { pair } from "./helpers/pipe.ts";
import { Recorder } from "./helpers/recorder.ts";

/** Everything the engine reads of a request list, taken at once (the codec reuses the list). */
function snapshot(h: HeaderList) {
  return {
    method: h.method, scheme: h.scheme, authority: h.authority, path: h.path, protocol: h.protocol,
    host: h.authorityStart < 0 ? null : h.buf.toString("latin1", h.authorityStart, h.authorityEnd),
    fields: h.entries(), seen: h.seen, contentLength: h.contentLength, size: h.size,
    sensitive: Array.from({ length: h.count }, (_, i) => h.isSensitive(i)),
  };
}

const replays = spyOn(RequestMemo.prototype, "replay");
afterEach(() => replays.mockClear());

describe("a repeated request block", () => {
  test("gives the server the fields a decode gives, through repeats, insertions, never-indexed fields and other paths", () => {
    const seen: ReturnType<typeof snapshot>[] = [];
    const p = pair({
      onStream(st: H2Stream, head: HeaderList) {
        seen.push(snapshot(head));
        p.server.respond(st, 204, [], true); // streams end: the client never hits the concurrency limit
      },
    });
    p.pump();
    const rnd = mulberry32(44);
    for (let i = 0; i < 300; i++) {
      const path = rnd() < 0.1 ? `/p${Math.floor(rnd() * 3)}` : "/";
      const fields = ["user-agent", "ua/1", "accept", "*/*"];
      if (rnd() < 0.1) fields.push("x-new", String(Math.floor(rnd() * 1000))); // inserted: the table changes
      if (rnd() < 0.1) fields.push("authorization", "secret"); // never indexed, marked sensitive
      const post = rnd() < 0.1;
      if (post) fields.push("content-length", "0");
      p.client.request(new Recorder(), { method: post ? "POST" : "GET", scheme: "http", authority: "a.test:8080", path, fields }, true);
      p.pump();
      const pairs: [string, string][] = [];
      for (let k = 0; k + 1 < fields.length; k += 2) pairs.push([fields[k]!, fields[k + 1]!]);
      const pseudo: [string, string][] = [[":method", post ? "POST" : "GET"], [":scheme", "http"], [":path", path], [":authority", "a.test:8080"]];
      expect(seen[i]).toEqual({
        method: post ? "POST" : "GET", scheme: "http", authority: "a.test:8080", path, protocol: "", host: "a.test:8080",
        fields: pairs, seen: (1 << H.OTHER) | (post ? 1 << H.CONTENT_LENGTH : 0), contentLength: post ? 0 : -1,
        size: [...pseudo, ...pairs].reduce((n, [k, v]) => n + k.length + v.length + 32, 0),
        sensitive: pairs.map(([k]) => k === "authorization"),
      });
    }
    expect(seen.length).toBe(300);
    expect(replays.mock.calls.length).toBeGreaterThan(40); // requests that repeat the one before, the table unchanged
  });

  test("a malformed block is never kept: each repeat is decoded, checked and reset", () => {
    const resets: number[] = [];
    const p = pair({ onStream: () => {} });
    p.pump();
    for (let i = 0; i < 4; i++) {
      const rec = new Recorder();
      rec.onReset = (_s: H2Stream, code: number) => void resets.push(code);
      p.client.request(rec, { method: "GET", scheme: "http", authority: "a.test", path: "/", fields: ["te", "gzip"] }, true);
      p.pump();
    }
    expect(resets).toEqual([1, 1, 1, 1]); // PROTOCOL_ERROR each time
    expect(replays.mock.calls.length).toBe(0);
  });
});
