/**
 * The dashboard's files as the admin API serves them: `/`, `/ui` and `/dashboard` redirect to
 * `/ui/`; every file the page references is embedded and served with its type, a strong ETag (304
 * on a match) and a CSP that keeps the page on this origin; the files load without the token while
 * the data still needs it; and nothing in them points at another host.
 */
import { describe, expect, test } from "bun:test";
import { UI_ASSETS } from "../../../src/admin/ui/assets.ts";
import { makeApp } from "../setup.ts";

const { app } = makeApp({ token: "s3cret" });
const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });

describe("dashboard files", () => {
  test("/, /ui and /dashboard redirect to /ui/, which is the page, without the token", async () => {
    for (const path of ["/", "/ui", "/dashboard", "/dashboard/"]) {
      const r = await get(path);
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toBe("/ui/");
    }
    const page = await get("/ui/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("<title>Fulcrum</title>");
    expect((await get("/v1/status")).status).toBe(401);
    expect((await get("/v1/stats/history")).status).toBe(401);
  });

  test("every file the page loads or imports is embedded and served with its type", async () => {
    const html = UI_ASSETS.get("index.html")!.body;
    // A link up out of /ui/ is to the admin API itself (the footer's, to /v1/openapi.json), not a file.
    const refs = [...html.matchAll(/(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!).filter((r) => !r.startsWith("../"));
    for (const [name, a] of UI_ASSETS) {
      if (name.endsWith(".js")) for (const m of a.body.matchAll(/from "\.\/([^"]+)"/g)) refs.push(`js/${m[1]}`);
    }
    expect(refs).toContain("js/main.js");
    expect(refs).toContain("vendor/uPlot.iife.min.js");
    for (const ref of new Set(refs)) {
      const r = await get(`/ui/${ref}`);
      expect(r.status, ref).toBe(200);
      const ext = ref.split(".").pop();
      const want = { js: "text/javascript", css: "text/css", svg: "image/svg+xml" }[ext as "js"];
      expect(r.headers.get("content-type"), ref).toStartWith(want);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await get("/ui/nope.js")).status).toBe(404);
    expect((await get("/ui/../v1/status")).status).not.toBe(200);
  });

  test("a strong ETag per file: a matching If-None-Match is a bodiless 304", async () => {
    const first = await get("/ui/js/main.js");
    const tag = first.headers.get("etag")!;
    expect(tag).toMatch(/^"[\w-]{22}"$/);
    expect(first.headers.get("cache-control")).toBe("no-cache");
    const again = await get("/ui/js/main.js", { "if-none-match": tag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    expect((await get("/ui/js/main.js", { "if-none-match": '"other"' })).status).toBe(200);
  });

  test("the CSP allows this origin only, and no file loads anything from another host", async () => {
    const csp = (await get("/ui/")).headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Only names that are never fetched may appear: the SVG namespace and uPlot's licence banner.
    const named = (u: string) => u.startsWith("http://www.w3.org/2000/svg") || u === "https://github.com/leeoniya/uPlot";
    for (const [name, a] of UI_ASSETS) {
      const urls = [...a.body.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"')]*/gi)].map((m) => m[0]);
      expect(urls.filter((u) => !named(u)), name).toEqual([]);
    }
  });
});
