import { describe, expect, test } from "bun:test";
import { RequestParser, ResponseParser, type RequestHead, type ResponseHead } from "../../src/http/index.ts";
import { DEFAULT_UPGRADES, upgradeAnswered, upgradeOffer } from "../../src/l7/upgrade.ts";
import { run } from "../http/feed.ts";

const req = (fields: string, version = "1.1"): RequestHead =>
  run<RequestHead>((h) => new RequestParser(h), `GET / HTTP/${version}\r\nHost: x\r\n${fields}\r\n`, "whole").messages[0]!.head;

function switched(fields: string): ResponseHead {
  let head: ResponseHead | null = null;
  const p = new ResponseParser({ onHead: (h) => void (head = h), onBody() {}, onEnd() {} });
  p.feed(Buffer.from(`HTTP/1.1 101 Switching Protocols\r\n${fields}\r\n`, "latin1"));
  return head!;
}

describe("upgradeOffer", () => {
  test("offers only allowed protocols, in the client's order and spelling, from every Upgrade line", () => {
    const r = req("Connection: Upgrade\r\nUpgrade: h2c, WebSocket\r\nUpgrade: foo/2, bar\r\n");
    expect(upgradeOffer(r, DEFAULT_UPGRADES)).toBe("WebSocket");
    expect(upgradeOffer(r, ["websocket", "foo"])).toBe("WebSocket, foo/2");
    expect(upgradeOffer(r, ["foo/3"])).toBeNull();
    expect(upgradeOffer(r, ["foo/2"])).toBe("foo/2");
    expect(upgradeOffer(r, [])).toBeNull();
  });

  test("no offer without Connection: upgrade, or from HTTP/1.0", () => {
    expect(upgradeOffer(req("Upgrade: websocket\r\n"), DEFAULT_UPGRADES)).toBeNull();
    expect(upgradeOffer(req("Connection: upgrade\r\nUpgrade: websocket\r\n", "1.0"), DEFAULT_UPGRADES)).toBeNull();
  });
});

describe("upgradeAnswered", () => {
  test("a 101 must name offered protocols only, at least one", () => {
    expect(upgradeAnswered(switched("Upgrade: websocket\r\n"), "WebSocket")).toBe(true);
    expect(upgradeAnswered(switched("Upgrade: foo/2\r\n"), "websocket, foo")).toBe(true);
    expect(upgradeAnswered(switched("Upgrade: h2c\r\n"), "websocket")).toBe(false);
    expect(upgradeAnswered(switched("Upgrade: websocket, h2c\r\n"), "websocket")).toBe(false);
    expect(upgradeAnswered(switched("Connection: upgrade\r\n"), "websocket")).toBe(false);
  });
});
