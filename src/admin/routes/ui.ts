/**
 * The dashboard: GET /ui/ and its files, embedded in the binary (src/admin/ui). `/`, `/ui` and
 * `/dashboard` redirect to `/ui/` (the trailing slash lets the page use relative URLs, so it also
 * works behind a proxy that mounts the admin API under a prefix). The files hold no data and no
 * secret: they load without the token, and the page asks for it before it reads anything.
 */
import type { Context, Hono } from "hono";
import { z } from "zod";
import { LbError } from "../../errors.ts";
import { mountOperation, type Operation } from "../operation.ts";
import { UI_ASSETS, type UiAsset } from "../ui/assets.ts";

/** The page talks to this origin only, runs only its own files, and cannot be framed. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function serve(c: Context, asset: UiAsset): Response {
  const headers: Record<string, string> = {
    "Content-Type": asset.type,
    ETag: asset.etag,
    // Revalidate every time (a 304 is one small round trip): a new binary never serves a stale page.
    "Cache-Control": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
  };
  const match = c.req.header("if-none-match");
  if (match !== undefined && match.split(",").some((t) => t.trim() === asset.etag)) return c.body(null, 304, headers);
  return c.body(asset.body, 200, headers);
}

const REDIRECT = { description: "Redirect to /ui/.", headers: ["Location"] } as const;
const PAGE = { description: "The page.", content: { types: ["text/html"] }, headers: ["ETag"] } as const;

function redirect(path: string, operationId: string): Operation {
  return { method: "get", path, operationId, tag: "dashboard", summary: "Redirects to the dashboard", public: true, replies: { 302: REDIRECT } };
}

/** The dashboard's operations: its files need no token (the page asks for it before reading data). */
const UI_OPERATIONS: readonly Operation[] = [
  redirect("/", "getRoot"),
  {
    method: "get",
    path: "/ui",
    operationId: "getDashboard",
    tag: "dashboard",
    summary: "The dashboard",
    description: "/ui/ serves the page; /ui redirects there (its relative links need the slash).",
    public: true,
    headers: ["If-None-Match"],
    replies: { 200: PAGE, 302: REDIRECT, 304: { description: "Not modified.", headers: ["ETag"] } },
  },
  redirect("/dashboard", "getDashboardAlias"),
  {
    method: "get",
    path: "/ui/*",
    operationId: "getDashboardFile",
    tag: "dashboard",
    summary: "A file of the dashboard",
    public: true,
    params: { path: z.string().meta({ description: "The file under /ui/ (may hold /: js/main.js).", examples: ["index.html"] }) },
    headers: ["If-None-Match"],
    replies: {
      200: { description: "The file.", content: { types: ["text/html", "text/css", "text/javascript", "image/svg+xml", "text/plain"] }, headers: ["ETag"] },
      304: { description: "Not modified.", headers: ["ETag"] },
    },
    errors: ["NOT_FOUND"],
  },
];

/** Mounts the dashboard routes; call before the auth middleware (the files are public). */
export function mountUi(app: Hono): void {
  // The app is not strict about a trailing slash (/ui and /ui/ reach the same route, and
  // c.req.path drops the slash), so the handler reads the URL itself: anything outside /ui/
  // redirects there.
  const page = (c: Context): Response => {
    const path = new URL(c.req.url).pathname;
    if (!path.startsWith("/ui/")) return c.redirect("/ui/", 302);
    const name = path.slice("/ui/".length) || "index.html";
    const asset = UI_ASSETS.get(name);
    if (!asset) throw new LbError("NOT_FOUND", `no such dashboard file: ${path}`);
    return serve(c, asset);
  };
  for (const op of UI_OPERATIONS) mountOperation(app, op, page);
}
