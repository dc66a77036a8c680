/** What the engine knows of gRPC: which requests are calls, grpc-timeout, and proxy errors as gRPC statuses. */
import { describe, expect, test } from "bun:test";
import { RequestParser, type RequestHead } from "../../src/http/index.ts";
import { grpcReply, grpcStatusOf, grpcTimeoutMs, isGrpc } from "../../src/l7/index.ts";

function head(text: string): RequestHead {
  let got: RequestHead | null = null;
  new RequestParser({ onHead: (h) => void (got = h), onBody() {}, onEnd() {} }).feed(Buffer.from(text, "latin1"));
  return got!;
}

describe("gRPC", () => {
  test("a call is a POST with content-type application/grpc (any codec suffix, any case)", () => {
    const post = (ct: string) => head(`POST /pkg.S/M HTTP/1.1\r\nhost: a\r\ncontent-type: ${ct}\r\ncontent-length: 0\r\n\r\n`);
    expect(isGrpc(post("application/grpc"))).toBe(true);
    expect(isGrpc(post("application/grpc+proto"))).toBe(true);
    expect(isGrpc(post("Application/GRPC-web"))).toBe(true);
    expect(isGrpc(post("application/json"))).toBe(false);
    expect(isGrpc(head("GET / HTTP/1.1\r\nhost: a\r\ncontent-type: application/grpc\r\n\r\n"))).toBe(false);
  });

  test("grpc-timeout in its units, in whole milliseconds; malformed values are ignored", () => {
    expect(["1H", "2M", "3S", "100m", "2500u", "1n", "99999999m"].map(grpcTimeoutMs)).toEqual([3_600_000, 120_000, 3000, 100, 3, 1, 99_999_999]);
    expect(["", "m", "10", "10x", "-1S", "1.5S", "123456789S", undefined].map(grpcTimeoutMs)).toEqual(Array(8).fill(undefined));
  });

  test("proxy errors map to gRPC statuses by code, else by HTTP status", () => {
    const s = (status: number, errorCode?: string) => grpcStatusOf({ status, ...(errorCode ? { errorCode } : {}) });
    expect([s(504, "UPSTREAM_TIMEOUT"), s(503, "OVERFLOW"), s(429, "RATE_LIMITED"), s(404, "NO_ROUTE"), s(503, "NO_HEALTHY_BACKEND"), s(502, "UPSTREAM_CONNECT_FAILED")]).toEqual([4, 8, 8, 12, 14, 14]);
    expect([s(400), s(401), s(403), s(418)]).toEqual([13, 16, 7, 2]);
  });

  test("a proxy reply becomes trailers-only: HTTP 200, grpc-status, grpc-message, x-fulcrum-error kept, no body", () => {
    const r = grpcReply({ status: 503, errorCode: "OVERFLOW", body: "pool is full\n", fields: { "retry-after": "1" } });
    expect(r).toEqual({ status: 200, errorCode: "OVERFLOW", fields: { "retry-after": "1", "content-type": "application/grpc", "grpc-status": "8", "grpc-message": "OVERFLOW" } });
    expect(grpcReply({ status: 204 })).toEqual({ status: 204 });
  });
});
