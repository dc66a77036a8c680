/**
 * The dashboard's files as the admin API serves them: embedded at build time (assets.macro.ts),
 * each with its content type and a strong ETag made from its bytes, so a browser revalidates in
 * one round trip and a new binary's page is never stale.
 */
import { createHash } from "node:crypto";
import { loadUiAssets } from "./assets.macro.ts" with { type: "macro" };

/** One file of the page. */
export interface UiAsset {
  body: string;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  svg: "image/svg+xml",
};

function typeOf(path: string): string {
  return TYPES[path.slice(path.lastIndexOf(".") + 1)] ?? "text/plain; charset=utf-8";
}

/** Every file by its path under /ui/ ("index.html", "js/main.js", "vendor/uPlot.iife.min.js"). */
export const UI_ASSETS: ReadonlyMap<string, UiAsset> = new Map(
  Object.entries(loadUiAssets()).map(([path, body]) => [
    path,
    { body, type: typeOf(path), etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` },
  ]),
);
