/**
 * A listener's access log: where lines go, which fields they carry and how they are written. The
 * short forms "stdout", "off" and a file path keep working; the object form chooses the fields
 * (`{ path, fields: [...], format: json | text }`). A field name not in ACCESS_LOG_FIELDS is an
 * error naming it.
 */
import { z } from "zod";

/** Every field a line can carry, in the order a line writes them when `fields` is not given (all of them). */
export const ACCESS_LOG_FIELDS = [
  "time", "request_id", "trace_id", "listener", "client", "method", "host", "target", "path", "protocol", "status",
  "bytes_in", "bytes_out", "duration_ms", "route", "pool", "backend", "upstream_status", "upstream_ms",
  "attempts", "retries", "error", "user_agent", "referer", "client_cert_subject", "client_cert_san", "client_cert_sha256",
] as const;

export type AccessLogField = (typeof ACCESS_LOG_FIELDS)[number];

/** The fields of a line when `fields` is not given: every one (`target` as received, `path` as normalized for routing). */
export const DEFAULT_ACCESS_LOG_FIELDS: readonly AccessLogField[] = ACCESS_LOG_FIELDS;

export const ACCESS_LOG_FORMATS = ["json", "text"] as const;

const KNOWN = new Set<string>(ACCESS_LOG_FIELDS);

// Custom issues do not abort the union: an unknown name is reported as itself, not "Invalid input".
const FieldListSchema = z.array(z.string()).min(1).superRefine((names, ctx) => {
  const seen = new Set<string>();
  names.forEach((n, i) => {
    if (!KNOWN.has(n)) ctx.addIssue({ code: "custom", path: [i], message: `unknown access log field "${n}" (known: ${ACCESS_LOG_FIELDS.join(", ")})` });
    else if (seen.has(n)) ctx.addIssue({ code: "custom", path: [i], message: `access log field "${n}" is listed twice` });
    seen.add(n);
  });
});

/**
 * http(s): "stdout", "off" (the default) or a file path, one JSON line per request; or
 * `{ path, fields, format }` to choose the fields (default: all) and the format
 * (`json`, the default, or `text`: the values in field order, space-separated, `-` when absent).
 */
export const AccessLogSchema = z.union([
  z.string().min(1),
  z.strictObject({
    path: z.string().min(1),
    fields: FieldListSchema.optional(),
    format: z.enum(ACCESS_LOG_FORMATS).optional(),
  }),
]);
