/**
 * Interoperability with an independent implementation, node:http2 (nghttp2 underneath), over
 * real sockets: its client against the codec's server, the codec's client against its server.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectH2 } from "./helpers/h2-client.ts";
import { startH2Server, type H2TestServer } from "./helpers/h2-server.ts";
import { Recorder } from "./helpers/recorder.ts";

/** Polls `cond` every 5 ms for up to `ms`. */
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("node:http2 client → codec server", () => {
  let srv: H2TestServer;
  beforeAll(() => (srv = startH2Server()));
  afterAll(() => srv?.stop());

  test("requests with bodies and trailers, many at once on one session", async () => {
    const session = http2.connect(`http://127.0.0.1:${srv.port}`);
    try {
      const one = (i: number) => new Promise<{ body: string; trailers: http2.IncomingHttpHeaders }>((resolve, reject) => {
        const req = session.request({ ":method": "POST", ":path": "/echo" }, { waitForTrailers: true });
        let body = "";
        let trailers: http2.IncomingHttpHeaders = {};
        req.on("wantTrailers", () => req.sendTrailers({ "x-n": String(i) }));
        req.on("trailers", (t) => (trailers = t));
        req.on("data", (d: Buffer) => (body += d.toString()));
        req.on("end", () => resolve({ body, trailers }));
        req.on("error", reject);
        req.end(`body ${i} `.repeat(100));
      });
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => one(i)));
      results.forEach((r, i) => {
        expect(r.body).toBe(`body ${i} `.repeat(100));
        expect(r.trailers["x-n"]).toBe(String(i));
      });
    } finally {
      session.close();
    }
  });
});

describe("codec client → node:http2 server", () => {
  let server: http2.Http2Server;
  let port: number;
  beforeAll(async () => {
    server = http2.createServer();
    server.on("stream", (stream: http2.ServerHttp2Stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on("data", (d: Buffer) => chunks.push(d));
      stream.on("end", () => {
        const body = Buffer.concat(chunks);
        stream.respond({ ":status": 200, "x-path": String(headers[":path"]), "x-len": String(body.length) }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(body);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server?.close());

  test("multiplexed requests with bodies; responses with trailers", async () => {
    const client = await connectH2(port);
    try {
      const recs = Array.from({ length: 30 }, (_, i) => {
        const r = new Recorder();
        const s = client.h2.request(r, { method: "POST", scheme: "http", authority: `127.0.0.1:${port}`, path: `/p${i}` }, false)!;
        const body = Buffer.from(`${i}`.repeat(1000 + i));
        client.h2.sendData(s, body, 0, body.length, true);
        return r;
      });
      await until(() => recs.every((r) => r.ended));
      recs.forEach((r, i) => {
        expect(r.heads[0]!.status).toBe(200);
        expect(r.heads[0]!.get("x-path")).toBe(`/p${i}`);
        expect(r.bytes).toBe(String(i).length * (1000 + i));
        expect(r.trailers!.get("grpc-status")).toBe("0");
      });
    } finally {
      client.close();
    }
  });

  test("a 5 MB upload and echo under flow control", async () => {
    const client = await connectH2(port);
    try {
      const r = new Recorder();
      const s = client.h2.request(r, { method: "PUT", scheme: "http", authority: "x", path: "/big" }, false)!;
      const body = Buffer.alloc(5_000_000, 0x5a);
      let at = 0;
      const pushMore = () => {
        while (at < body.length) {
          const n = Math.min(64 * 1024, body.length - at);
          const ok = client.h2.sendData(s, body, at, at + n, at + n === body.length);
          at += n;
          if (!ok) return;
        }
      };
      r.onWritable = () => pushMore();
      pushMore();
      await until(() => r.ended, 15_000);
      expect(r.heads[0]!.get("x-len")).toBe("5000000");
      expect(r.bytes).toBe(5_000_000);
    } finally {
      client.close();
    }
  });
});
