/**
 * An admin endpoint is declared once, as an Operation: method, path, path and query parameters,
 * request body, answers and the error codes it may send. mountOperation() mounts its handler and
 * parses the query with the operation's own zod schema (so what is validated and what
 * /v1/openapi.json shows cannot differ), and records the operation on the app: the description
 * (openapi/document.ts), OPTIONS and the 405 with its Allow header are all read from that record.
 * How to add an endpoint: openapi/document.ts, at its top.
 */
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import { errorBody } from "./error-handler.ts";
import { NO_QUERY, parseQuery, type QuerySchema } from "./query.ts";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** Request headers the description defines once (openapi/headers.ts). */
export type RequestHeader = "If-Match" | "If-None-Match" | "Fulcrum-Config-File";
/** Response headers the description defines once (openapi/headers.ts). */
export type ResponseHeader = "ETag" | "Location";

/** A body: its media types and schema. `schema` must be named (openapi/schemas.ts); absent = text. */
export interface Content {
  types: readonly string[];
  schema?: z.ZodType;
  /** A value that the schema accepts and the endpoint answers with success. */
  example?: unknown;
}

export interface RequestBody extends Content {
  /** The body is a JSON Merge Patch (RFC 7396) of `schema`: any field may be left out or null. */
  patch?: boolean;
  /** Required fields of `schema` the body may leave out here (the path gives them). */
  optional?: readonly string[];
  description?: string;
}

/** One non-error answer (2xx, 302, 304). */
export interface Reply {
  description: string;
  content?: Content;
  headers?: readonly ResponseHeader[];
}

/** An endpoint as mounted and as described. */
export interface Operation<Q extends QuerySchema = QuerySchema> {
  method: Method;
  /** Hono syntax: `/v1/pools/:name`; a trailing `*` is the path parameter `path`. */
  path: string;
  /** Unique, camelCase: `getPool`. */
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /** Every path parameter the path names (described, not validated: an unknown name is a 404). */
  params?: Record<string, z.ZodType>;
  /** The query parameters it takes; default none. */
  query?: Q;
  headers?: readonly RequestHeader[];
  body?: RequestBody;
  replies: Readonly<Record<number, Reply>>;
  /**
   * Error codes it answers, besides those the description adds by itself: INVALID_REQUEST (the
   * query), UNAUTHORIZED (unless public), and for a body INVALID_JSON, UNSUPPORTED_MEDIA_TYPE and
   * PAYLOAD_TOO_LARGE.
   */
  errors?: readonly ErrorCode[];
  /** Served without the admin token. */
  public?: boolean;
}

export type Handler<Q extends QuerySchema> = (c: Context, query: z.output<Q>) => Response | Promise<Response>;

const mounted = new WeakMap<Hono, Operation[]>();

/** Mounts `handler` for `op` on `app`, parsing the query with `op.query` first. */
export function mountOperation<Q extends QuerySchema>(app: Hono, op: Operation<Q>, handler: Handler<Q>): void {
  const list = mounted.get(app) ?? [];
  if (list.some((o) => o.operationId === op.operationId || (o.method === op.method && o.path === op.path))) {
    throw new Error(`operation ${op.operationId} (${op.method} ${op.path}) is mounted twice`);
  }
  list.push(op as unknown as Operation);
  mounted.set(app, list);
  const query = (op.query ?? NO_QUERY) as Q;
  app.on(op.method.toUpperCase(), op.path, (c) => handler(c, parseQuery(query, c.req.queries())));
}

/** The operations mounted on `app`, in mounting order. */
export function operationsOf(app: Hono): readonly Operation[] {
  return mounted.get(app) ?? [];
}

const ORDER = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/** Each path of `app`'s operations with the verbs it serves, as an Allow header lists them. */
export function allowedMethods(app: Hono): Map<string, string> {
  const verbs = new Map<string, Set<string>>();
  for (const op of operationsOf(app)) {
    const set = verbs.get(op.path) ?? new Set(["OPTIONS"]);
    set.add(op.method.toUpperCase());
    if (op.method === "get") set.add("HEAD");
    verbs.set(op.path, set);
  }
  return new Map([...verbs].map(([path, set]) => [path, ORDER.filter((m) => set.has(m)).join(", ")]));
}

/**
 * Mounts, for every path of the operations mounted so far, OPTIONS (204 with Allow) and a 405
 * with Allow for any other method. Call after the last operation.
 */
export function mountMethodChecks(app: Hono): void {
  for (const [path, allow] of allowedMethods(app)) {
    app.options(path, (c) => c.body(null, 204, { Allow: allow }));
    app.all(path, (c) => c.json(errorBody("METHOD_NOT_ALLOWED", `${c.req.method} is not allowed on ${path}; use ${allow}`), 405, { Allow: allow }));
  }
}
