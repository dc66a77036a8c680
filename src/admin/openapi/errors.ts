/**
 * The error answers of an operation, one per status, each listing the codes it may carry (its
 * schema is the Error body with `code` narrowed to them). A code's status is the one src/errors.ts
 * gives it, so the description and the error handler agree by construction.
 */
import { CODES, type ErrorCode } from "../../errors.ts";
import type { Operation } from "../operation.ts";
import { responseHeaderRefs, type RESPONSE_HEADERS } from "./headers.ts";
import type { JsonSchema } from "./schemas.ts";

const REASONS: Record<number, string> = {
  400: "Bad request: a query parameter, the body, or the config it would make",
  401: "No or wrong bearer token",
  404: "Not found",
  409: "Conflict with the stored config",
  412: "If-Match does not match: nothing was written",
  413: "The body is larger than the admin API's limit",
  415: "The body's media type is not accepted here",
  500: "Internal error (see the node's log)",
  503: "Not available now",
};

/** Every code `op` may answer: its own and those the description implies (query, token, body). */
export function errorCodesOf(op: Operation): ErrorCode[] {
  const codes = new Set<ErrorCode>(["INVALID_REQUEST"]);
  if (!op.public) codes.add("UNAUTHORIZED");
  if (op.body) {
    for (const c of ["INVALID_JSON", "UNSUPPORTED_MEDIA_TYPE", "PAYLOAD_TOO_LARGE"] as const) codes.add(c);
    if (op.body.types.some((t) => t.includes("yaml"))) codes.add("INVALID_YAML");
  }
  for (const c of op.errors ?? []) codes.add(c);
  return [...codes];
}

/** `responses` entries for the errors of `op`, by status. */
export function errorResponses(op: Operation): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(op)) {
    const status = CODES[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<string, JsonSchema> = {};
  for (const [status, codes] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    const headers: (keyof typeof RESPONSE_HEADERS)[] = status === 401 ? ["WWW-Authenticate"] : [];
    out[String(status)] = {
      description: `${REASONS[status] ?? "Error"} (${codes.join(", ")}).`,
      ...(headers.length > 0 ? { headers: responseHeaderRefs(headers) } : {}),
      content: {
        "application/json": {
          schema: {
            allOf: [{ $ref: "#/components/schemas/Error" }, { properties: { error: { properties: { code: { enum: codes } } } } }],
          },
        },
      },
    };
  }
  return out;
}
