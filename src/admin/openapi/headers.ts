/**
 * The headers the admin API reads and sends, defined once for the description: conditional
 * requests (RFC 9110 §13, src/admin/conditional.ts), the file a write comes from, and the bearer
 * scheme (src/admin/auth.ts).
 */
import type { RequestHeader, ResponseHeader } from "../operation.ts";
import type { JsonSchema } from "./schemas.ts";

const ENTITY_TAGS = { type: "string", examples: ['"7"'] };

/** `components.parameters`, by the name an Operation's `headers` uses. */
export const REQUEST_HEADERS: Record<RequestHeader, JsonSchema> = {
  "If-Match": {
    name: "If-Match",
    in: "header",
    required: false,
    description:
      'Write only if the resource is still at this revision: an ETag as a read answered it ("7"), a list of them, or *. ' +
      "Compared strongly (a weak W/\"7\" never matches); a stale one is a 412 PRECONDITION_FAILED and nothing is written.",
    schema: ENTITY_TAGS,
  },
  "If-None-Match": {
    name: "If-None-Match",
    in: "header",
    required: false,
    description: "Answer 304 Not Modified, without a body, when the ETag is still one of these (weak comparison; * matches any).",
    schema: ENTITY_TAGS,
  },
  "Fulcrum-Config-File": {
    name: "Fulcrum-Config-File",
    in: "header",
    required: false,
    description: "The config file this write comes from, URI-encoded (`fulcrum apply -f` sends it): the history records the change as `source: file`.",
    schema: { type: "string", minLength: 1, examples: ["%2Fetc%2Ffulcrum%2Ffulcrum.yaml"] },
  },
};

/** `components.headers`, by the name a Reply's `headers` uses. */
export const RESPONSE_HEADERS: Record<ResponseHeader | "WWW-Authenticate" | "Allow", JsonSchema> = {
  ETag: {
    description:
      'A strong validator. For the config and its resources, a revision in quotes ("7"): the document\'s for /v1/config and top-level ' +
      "collections, the resource's own for one resource, the parent's for a nested collection. Not sent for a dry run.",
    schema: { type: "string", pattern: '^"[^"]*"$' },
  },
  Location: { description: "Where the created resource reads back.", schema: { type: "string", examples: ["/v1/pools/search"] } },
  "WWW-Authenticate": { description: "Bearer: the token goes in `Authorization: Bearer <token>`.", schema: { type: "string", const: "Bearer" } },
  Allow: { description: "The methods this path serves.", schema: { type: "string", examples: ["GET, HEAD, PUT, PATCH, DELETE, OPTIONS"] } },
};

/** `$ref` to a request header parameter. */
export function requestHeaderRef(name: RequestHeader): JsonSchema {
  return { $ref: `#/components/parameters/${name}` };
}

/** `{name: $ref}` for a Response Object's `headers`. */
export function responseHeaderRefs(names: readonly (keyof typeof RESPONSE_HEADERS)[]): JsonSchema {
  return Object.fromEntries(names.map((n) => [n, { $ref: `#/components/headers/${n}` }]));
}
