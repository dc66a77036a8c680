/**
 * GET /v1/openapi.json: the description of this app's own operations (openapi/document.ts), made
 * once, on the first request, after every route is mounted. It needs the token like every other
 * path (as Envoy's and Traefik's API docs sit behind their admin auth): it names every endpoint.
 */
import type { Hono } from "hono";
import { z } from "zod";
import pkg from "../../../package.json" with { type: "json" };
import { openApiDocument } from "../openapi/document.ts";
import { named } from "../openapi/schemas.ts";
import { mountOperation, operationsOf, type Operation } from "../operation.ts";

const OpenApiSchema = named(
  "OpenApiDocument",
  z.looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) }),
);

const OPENAPI: Operation = {
  method: "get",
  path: "/v1/openapi.json",
  operationId: "getOpenApi",
  tag: "meta",
  summary: "This description",
  replies: { 200: { description: "The admin API as OpenAPI 3.1.", content: { types: ["application/json"], schema: OpenApiSchema } } },
};

/** Mounts GET /v1/openapi.json; the document covers the operations mounted on `app` when it is first asked for. */
export function mountOpenApi(app: Hono): void {
  let text: string | undefined;
  mountOperation(app, OPENAPI, (c) => {
    text ??= JSON.stringify(openApiDocument(operationsOf(app), pkg.version));
    return c.body(text, 200, { "Content-Type": "application/json; charset=utf-8" });
  });
}
