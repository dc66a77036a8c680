import { describe, expect, test } from "bun:test";
import { DEFAULT_LIMITS, type RequestHead } from "../../../src/http/index.ts";
import { parseRequestHead } from "../../../src/http/request-head.ts";
import { CidrList } from "../../../src/net/index.ts";
import { forwardedClient } from "../../../src/runtime/l7/forwarded-client.ts";

function head(...xff: string[]): RequestHead {
  const lines = xff.map((v) => `X-Forwarded-For: ${v}\r\n`).join("");
  const buf = Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\n${lines}\r\n`, "latin1");
  return parseRequestHead(buf, 0, buf.length, new Int32Array(DEFAULT_LIMITS.maxHeaderCount * 5), DEFAULT_LIMITS);
}

const trusted = new CidrList(["10.0.0.0/8", "fd00::/8"]);

describe("forwardedClient", () => {
  test("the rightmost hop that is not a trusted proxy is the client", () => {
    expect(forwardedClient(head("1.1.1.1"), "10.0.0.1", trusted)).toBe("1.1.1.1");
    expect(forwardedClient(head("6.6.6.6, 1.1.1.1, 10.0.0.2"), "10.0.0.1", trusted)).toBe("1.1.1.1");
    expect(forwardedClient(head("6.6.6.6", "1.1.1.1,fd00::5"), "10.0.0.1", trusted)).toBe("1.1.1.1");
  });

  test("every hop trusted: the leftmost; no header: the peer", () => {
    expect(forwardedClient(head("10.0.0.9, 10.0.0.8"), "10.0.0.1", trusted)).toBe("10.0.0.9");
    expect(forwardedClient(head(), "10.0.0.1", trusted)).toBe("10.0.0.1");
  });

  test("a hop that is not an address ends the walk at the last address vouched for", () => {
    expect(forwardedClient(head("1.1.1.1, unknown"), "10.0.0.1", trusted)).toBe("10.0.0.1");
    expect(forwardedClient(head("1.1.1.1, junk, 10.0.0.5"), "10.0.0.1", trusted)).toBe("10.0.0.5");
    expect(forwardedClient(head("[::1]:80"), "10.0.0.1", trusted)).toBe("10.0.0.1");
  });
});
