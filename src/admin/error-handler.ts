/**
 * Renders every failure as `{"error":{"code","message","details"?}}` (STYLE.md §4). An LbError
 * keeps its code and status; Hono's own HTTPException (e.g. from a built-in middleware) keeps its
 * status under a generic code; anything else is a 500 INTERNAL whose message is logged, never
 * returned (no stack traces to clients).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { z } from "zod";
import { isLbError, type ErrorCode } from "../errors.ts";
import { named } from "./openapi/schemas.ts";

/** The body of every error answer, as the description shows it. */
export const ErrorBodySchema = named(
  "Error",
  z.strictObject({
    error: z.strictObject({
      code: z.string().describe("Stable SCREAMING_SNAKE code; each answer of the description lists the codes it may carry."),
      message: z.string().describe("What went wrong, for a person; may change between versions."),
      details: z
        .array(z.unknown())
        .optional()
        .describe("CONFIG_INVALID: one {path, message} per problem (paths relative to the resource written); IN_USE: {referrer}; PRECONDITION_FAILED: {current_revision}."),
    }),
  }),
);
export type ErrorBody = z.output<typeof ErrorBodySchema>;

/** The JSON body of an error response. */
export function errorBody(code: string, message: string, details?: unknown[]): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: "INVALID_REQUEST",
  401: "UNAUTHORIZED",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/** `app.onError` handler. */
export function onAdminError(err: Error, c: Context): Response {
  if (isLbError(err)) {
    const headers: Record<string, string> = err.code === "UNAUTHORIZED" ? { "WWW-Authenticate": "Bearer" } : {};
    return c.json(errorBody(err.code, err.message, err.details), err.status as ContentfulStatusCode, headers);
  }
  if (err instanceof HTTPException && err.status < 500) {
    const code = STATUS_CODES[err.status] ?? "INVALID_REQUEST";
    return c.json(errorBody(code, err.message || code), err.status as ContentfulStatusCode);
  }
  console.error(`admin: ${c.req.method} ${c.req.path} failed:`, err);
  return c.json(errorBody("INTERNAL", "internal error; see the node's log"), 500);
}

/** `app.notFound` handler: an unknown path is a JSON 404, like every other error. */
export function onAdminNotFound(c: Context): Response {
  return c.json(errorBody("NOT_FOUND", `no such path: ${c.req.path}`), 404);
}
