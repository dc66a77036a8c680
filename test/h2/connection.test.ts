/**
 * The codec against itself, both sides in memory: requests and responses, trailers, multiplexing,
 * the peer's concurrency limit, flow control and backpressure, graceful GOAWAY.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode, type H2Connection, type H2Stream, type HeaderList } from "../../src/h2/index.ts";
import { pair } from "./helpers/pipe.ts";
import { Recorder } from "./helpers/recorder.ts";

const GET = { method: "GET", scheme: "https", authority: "example.com", path: "/x?y=1" };

/** A server side that answers each request with `answer` once the request has ended. */
function serving(answer: (c: H2Connection, s: H2Stream, head: HeaderList, body: Recorder) => void) {
  const requests: { head: HeaderList; body: Recorder; stream: H2Stream }[] = [];
  let conn!: H2Connection;
  const handler = {
    onStream(stream: H2Stream, head: HeaderList, ended: boolean) {
      const body = new Recorder();
      stream.handler = body;
      requests.push({ head, body, stream });
      if (ended) answer(conn, stream, head, body);
      else body.onBody = (_b, end) => end && answer(conn, stream, head, body);
      const trailers = body.onTrailers.bind(body);
      body.onTrailers = (s, t) => {
        trailers(s, t);
        answer(conn, stream, head, body);
      };
    },
  };
  return { handler, requests, bind: (c: H2Connection) => (conn = c) };
}

describe("requests and responses", () => {
  test("a GET is answered with status, fields and body", () => {
    const srv = serving((c, s) => {
      c.respond(s, 200, ["content-type", "text/plain", "X-Mixed-Case", "v"], false);
      c.sendData(s, Buffer.from("hi there"), 0, 8, true);
    });
    const p = pair(srv.handler);
    srv.bind(p.server);
    const rec = new Recorder();
    const st = p.client.request(rec, { ...GET, fields: ["accept", "*/*", "cookie", "a=1", "cookie", "b=2"] }, true)!;
    p.pump();
    const req = srv.requests[0]!.head;
    expect([req.method, req.scheme, req.authority, req.path]).toEqual(["GET", "https", "example.com", "/x?y=1"]);
    expect(req.getAll("cookie")).toEqual(["a=1", "b=2"]);
    expect(rec.heads[0]!.status).toBe(200);
    expect(rec.heads[0]!.entries()).toEqual([["content-type", "text/plain"], ["x-mixed-case", "v"]]);
    expect(rec.text()).toBe("hi there");
    expect(rec.ended).toBe(true);
    expect(p.client.streams.size + p.server.streams.size).toBe(0);
    expect(st.id).toBe(1);
  });

  test("a POST body and trailers go both ways", () => {
    const srv = serving((c, s, _head, body) => {
      c.respond(s, 200, [], false);
      const b = Buffer.concat(body.body);
      c.sendData(s, b, 0, b.length, false);
      c.sendTrailers(s, ["grpc-status", "0", "x-sum", body.trailers!.get("x-sum")!]);
    });
    const p = pair(srv.handler);
    srv.bind(p.server);
    const rec = new Recorder();
    const st = p.client.request(rec, { ...GET, method: "POST" }, false)!;
    p.client.sendData(st, Buffer.from("part one, "), 0, 10, false);
    p.client.sendData(st, Buffer.from("part two"), 0, 8, false);
    p.client.sendTrailers(st, ["x-sum", "18"]);
    p.pump();
    expect(rec.text()).toBe("part one, part two");
    expect(rec.trailers!.entries()).toEqual([["grpc-status", "0"], ["x-sum", "18"]]);
  });

  test("an interim 103 comes before the final head", () => {
    const srv = serving((c, s) => {
      c.informational(s, 103, ["link", "</a.css>; rel=preload"]);
      c.respond(s, 204, [], true);
    });
    const p = pair(srv.handler);
    srv.bind(p.server);
    const rec = new Recorder();
    p.client.request(rec, GET, true);
    p.pump();
    expect(rec.heads.map((h) => h.status)).toEqual([103, 204]);
    expect(rec.heads[0]!.get("link")).toBe("</a.css>; rel=preload");
    expect(rec.ended).toBe(true);
  });

  test("200 streams multiplexed on one connection all complete, in any order", () => {
    const pending: (() => void)[] = [];
    const srv = serving((c, s, head) => {
      pending.push(() => {
        c.respond(s, 200, [], false);
        const b = Buffer.from(head.path);
        c.sendData(s, b, 0, b.length, true);
      });
    });
    const p = pair(srv.handler, {}, { server: { maxConcurrentStreams: 1000 } });
    srv.bind(p.server);
    p.pump(); // SETTINGS both ways
    const recs = Array.from({ length: 200 }, (_, i) => {
      const r = new Recorder();
      p.client.request(r, { ...GET, path: `/${i}` }, true);
      return r;
    });
    p.pump();
    // answer in reverse order of arrival
    for (const f of pending.reverse()) f();
    p.pump();
    expect(recs.map((r) => r.text())).toEqual(recs.map((_, i) => `/${i}`));
  });
});

describe("the peer's limits", () => {
  test("the client opens no more streams than the server's SETTINGS_MAX_CONCURRENT_STREAMS", () => {
    const srv = serving(() => {});
    const p = pair(srv.handler, {}, { server: { maxConcurrentStreams: 2 } });
    srv.bind(p.server);
    p.pump();
    expect(p.client.peerMaxStreams).toBe(2);
    expect(p.client.request(new Recorder(), GET, true)).not.toBeNull();
    expect(p.client.request(new Recorder(), GET, true)).not.toBeNull();
    expect(p.client.request(new Recorder(), GET, true)).toBeNull();
    p.pump();
    expect(p.server.opts.counters.refusedStreams).toBe(0);
  });

  test("a stream the server refuses for concurrency is reported REFUSED_STREAM (retry elsewhere)", () => {
    const srv = serving(() => {});
    const p = pair(srv.handler, {}, { server: { maxConcurrentStreams: 1 } });
    srv.bind(p.server);
    // both requests leave before the client has seen the server's SETTINGS
    const a = new Recorder(), b = new Recorder();
    p.client.request(a, GET, true);
    p.client.request(b, GET, true);
    p.pump();
    expect(a.reset).toBeNull();
    expect(b.reset).toEqual({ code: ErrorCode.REFUSED_STREAM, reason: "PEER_RESET" });
    expect(p.server.opts.counters.refusedStreams).toBe(1);
  });
});

describe("flow control and backpressure", () => {
  test("a paused stream stops getting window; the sender buffers a bounded amount, then resumes", () => {
    let serverStream!: H2Stream;
    const got = new Recorder();
    const p = pair({
      onStream(s) {
        serverStream = s;
        s.handler = got;
      },
    }, {}, { client: { streamBufferBytes: 32 * 1024, connectionBufferBytes: 1 << 20 } });
    p.pump();
    const st = p.client.request(new Recorder(), { ...GET, method: "POST" }, false)!;
    p.pump();
    p.server.pause(serverStream);
    const chunk = Buffer.alloc(8192, 1);
    let sent = 0, refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      refused = !p.client.sendData(st, chunk, 0, chunk.length, false);
      sent += chunk.length;
      p.pump();
    }
    expect(refused).toBe(true);
    // the receiver got one window's worth (64 KiB); the sender holds the rest within its buffer
    expect(got.bytes).toBe(65_535);
    expect(p.client.buffered).toBeLessThanOrEqual(32 * 1024 + chunk.length);
    expect(got.bytes + p.client.buffered).toBe(sent);
    const wrec = st.handler as Recorder;
    p.server.resume(serverStream);
    p.pump();
    expect(wrec.writable).toBe(1);
    expect(got.bytes).toBe(sent);
  });

  test("DATA waits while the transport is full and leaves once it drains", () => {
    const srv = serving((c, s) => {
      c.respond(s, 200, [], false);
      const b = Buffer.alloc(100_000, 7);
      c.sendData(s, b, 0, b.length, true);
    });
    const p = pair(srv.handler);
    srv.bind(p.server);
    p.pump();
    p.toClient.full = true;
    const rec = new Recorder();
    p.client.request(rec, GET, true);
    p.pump();
    // the first write reported a full transport: only what that turn wrote went out
    expect(rec.bytes).toBeLessThan(100_000);
    p.toClient.full = false;
    p.server.onWriterDrained();
    p.pump();
    expect(rec.bytes).toBe(100_000);
    expect(rec.ended).toBe(true);
  });
});

describe("GOAWAY", () => {
  test("a graceful shutdown lets the stream in flight finish, and a request already on the wire too", () => {
    const later: (() => void)[] = [];
    const srv = serving((c, s) => later.push(() => {
      c.respond(s, 200, [], false);
      c.sendData(s, Buffer.from("done"), 0, 4, true);
    }));
    const goaways: number[] = [];
    const p = pair(srv.handler, { onGoaway: (_code, last) => goaways.push(last) });
    srv.bind(p.server);
    const first = new Recorder();
    p.client.request(first, GET, true);
    p.pump();
    p.server.shutdown();
    // the client sends another request before it has read the GOAWAY
    const second = new Recorder();
    expect(p.client.request(second, GET, true)).not.toBeNull();
    p.pump();
    expect(goaways).toEqual([0x7fff_ffff, 3]);
    expect(p.client.request(new Recorder(), GET, true)).toBeNull();
    for (const f of later) f();
    p.pump();
    expect([first.text(), second.text()]).toEqual(["done", "done"]);
    expect(p.toClient.ended).toBe(true);
    expect(p.server.closed).toBe(true);
  });

  test("streams above the GOAWAY's last id are refused, safe to retry", () => {
    const srv = serving(() => {});
    const p = pair(srv.handler);
    srv.bind(p.server);
    p.pump();
    const a = new Recorder(), b = new Recorder();
    p.client.request(a, GET, true);
    p.client.request(b, GET, true);
    // the server shuts down having seen only the first stream
    p.server.feed(p.toServer.take()[0]!);
    p.server.refuseNewStreams(ErrorCode.NO_ERROR, "test");
    p.toServer.take();
    p.pump();
    expect(a.reset).toBeNull();
    expect(b.reset).toEqual({ code: ErrorCode.REFUSED_STREAM, reason: "GOAWAY" });
  });
});
