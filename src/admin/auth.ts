/**
 * Bearer-token authentication for the admin API. With a token configured every path except
 * /healthz needs `Authorization: Bearer <token>`; the comparison is constant-time (both sides are
 * hashed first so their lengths match and timingSafeEqual never leaks the token's length).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { LbError } from "../errors.ts";

/** Paths a load balancer or orchestrator probes without credentials. */
const OPEN_PATHS = new Set(["/healthz"]);

function digest(s: string): Buffer {
  return createHash("sha256").update(s).digest();
}

/** True when `presented` equals `token`, in time independent of where they differ. */
export function tokenMatches(token: string, presented: string): boolean {
  return timingSafeEqual(digest(token), digest(presented));
}

/** Middleware that enforces the token; a no-op when `token` is undefined or empty. */
export function bearerAuth(token: string | undefined): MiddlewareHandler {
  if (!token) return async (_c, next) => next();
  return async (c, next) => {
    // The app ignores a trailing slash; so does this check.
    if (OPEN_PATHS.has(c.req.path.replace(/(.)\/+$/, "$1"))) return next();
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!m || !tokenMatches(token, m[1])) {
      throw new LbError("UNAUTHORIZED", "missing or wrong bearer token (Authorization: Bearer <token>)");
    }
    return next();
  };
}
