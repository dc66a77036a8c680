import { describe, expect, test } from "bun:test";
import { tokenMatches } from "../../src/admin/index.ts";
import { call, makeApp } from "./setup.ts";

const TOKEN = "s3cret-token-for-tests";

describe("admin bearer token", () => {
  test("without a token configured, every path is open", async () => {
    const { app } = makeApp();
    expect((await call(app, "GET", "/v1/config")).status).toBe(200);
  });

  test("with a token, every path but /healthz needs it", async () => {
    const { app, store } = makeApp({ token: TOKEN });
    expect((await call(app, "GET", "/healthz")).status).toBe(200);
    for (const [method, path] of [["GET", "/v1/config"], ["GET", "/metrics"], ["GET", "/readyz"], ["GET", "/v1/nope"], ["POST", "/v1/pools"]]) {
      const r = await call(app, method, path, method === "POST" ? { name: "x" } : undefined);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("UNAUTHORIZED");
      expect(r.headers.get("www-authenticate")).toBe("Bearer");
    }
    const wrong = await call(app, "GET", "/v1/config", undefined, { authorization: `Bearer ${TOKEN}x` });
    expect(wrong.body.error.code).toBe("UNAUTHORIZED");
    const basic = await call(app, "GET", "/v1/config", undefined, { authorization: `Basic ${btoa(`u:${TOKEN}`)}` });
    expect(basic.body.error.code).toBe("UNAUTHORIZED");
    expect(store.read().revision).toBe(0);

    const auth = { authorization: `Bearer ${TOKEN}` };
    expect((await call(app, "GET", "/v1/config", undefined, auth)).status).toBe(200);
    expect((await call(app, "POST", "/v1/pools", { name: "x" }, auth)).status).toBe(201);
  });

  test("tokens compare by value, not by prefix or length", () => {
    expect(tokenMatches("abc", "abc")).toBe(true);
    expect(tokenMatches("abc", "ab")).toBe(false);
    expect(tokenMatches("abc", "abcd")).toBe(false);
    expect(tokenMatches("abc", "")).toBe(false);
  });

  test("no CORS headers by default", async () => {
    const { app } = makeApp();
    const r = await call(app, "GET", "/v1/config", undefined, { origin: "http://evil.example" });
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
  });
});

test("/healthz/ with a trailing slash is open too; /v1/config/ is not", async () => {
  const { app } = makeApp({ token: "t0k3n" });
  expect((await app.request("/healthz/")).status).toBe(200);
  expect((await app.request("/v1/config/")).status).toBe(401);
});
