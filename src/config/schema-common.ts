/**
 * Small zod building blocks shared by the listener, route and pool schemas. Each check here is local
 * to one field (format, range); checks that relate fields or resources live in validate-*.ts.
 */
import { z } from "zod";
import { isHostPattern, parseCidr, parseHostPort } from "../net/index.ts";

/** Resource names: the identifiers in paths and references. */
export const NameSchema = z
  .string()
  .max(128)
  .regex(/^[a-z0-9][a-z0-9\-_.]*$/, "must match [a-z0-9][a-z0-9-_.]* (lower case)");

/** A duration or size in whole units, at least 1. */
export const PositiveInt = z.number().int().min(1).max(2 ** 31 - 1);

/** A listener address: "host:port" or "[v6]:port"; port 0 lets the OS pick (tests). */
export const ListenAddressSchema = z.string().superRefine((s, ctx) => {
  const r = parseHostPort(s, true);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

/** A backend address: "host:port" or "[v6]:port", port 1..65535. */
export const BackendAddressSchema = z.string().superRefine((s, ctx) => {
  const r = parseHostPort(s, false);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

/** "10.0.0.0/8", "::1/128" or a bare IP. */
export const CidrSchema = z.string().superRefine((s, ctx) => {
  const r = parseCidr(s);
  if (typeof r === "string") ctx.addIssue({ code: "custom", message: r });
});

/** A host name, optionally with a leading "*." wildcard (matches any subdomain). */
export const HostPatternSchema = z
  .string()
  .refine(isHostPattern, "must be a host name, optionally starting with *. (compared without case and a trailing dot)");

/** An HTTP header field name (RFC 9110 token). */
export const HeaderNameSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "must be an HTTP header name");

/** A header value: no CR, LF or NUL (they would split or smuggle headers). */
export const HeaderValueSchema = z
  .string()
  .regex(/^[^\r\n\0]*$/, "must not contain CR, LF or NUL");

/** A map of header name to value. */
export const HeaderMapSchema = z.record(HeaderNameSchema, HeaderValueSchema);

/** Header edits applied to a request or a response: set replaces, add appends, remove deletes. */
export const HeaderOpsSchema = z.strictObject({
  set: HeaderMapSchema.optional(),
  add: HeaderMapSchema.optional(),
  remove: z.array(HeaderNameSchema).optional(),
});

/** An HTTP method token; written in any case, kept upper-case. */
export const MethodSchema = z
  .string()
  .regex(/^[A-Za-z]+$/, "must be an HTTP method")
  .transform((m) => m.toUpperCase());

/** True when n is prime (trial division: table sizes are at most ~5e6). */
export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
