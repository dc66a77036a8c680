/** Telling an HTTP/2 prior-knowledge client (h2c) from an HTTP/1.1 one by its first bytes. */
import { PREFACE } from "./constants.ts";

/**
 * "yes" when `buf` starts with the whole client preface (RFC 9113 §3.4), "maybe" when it is a
 * prefix of it (read more before deciding), "no" otherwise (an HTTP/1.1 request, or garbage).
 */
export function looksLikePreface(buf: Uint8Array): "yes" | "maybe" | "no" {
  const n = Math.min(buf.length, PREFACE.length);
  for (let i = 0; i < n; i++) if (buf[i] !== PREFACE[i]) return "no";
  return n === PREFACE.length ? "yes" : "maybe";
}
