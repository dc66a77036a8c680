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

/**
 * Fields a header rule may not touch, and why: they decide where a message ends or what the
 * connection does, which the proxy writes itself. A rule that set Content-Length with no body
 * would make the next pipelined request that body at the backend (smuggling by configuration).
 */
const RESERVED_FIELDS: ReadonlyMap<string, string> = new Map([
  ...["content-length", "transfer-encoding", "trailer"].map((n): [string, string] => [n, "frames the message body"]),
  ...["connection", "upgrade", "keep-alive", "proxy-connection", "te"].map((n): [string, string] => [n, "is about the connection (hop-by-hop)"]),
]);

function refuseReserved(name: string, path: (string | number)[], ctx: z.RefinementCtx): void {
  const lower = name.toLowerCase();
  const why = RESERVED_FIELDS.get(lower);
  if (why !== undefined) ctx.addIssue({ code: "custom", path, message: `${name} ${why}: the proxy writes it, header rules may not set, add or remove it` });
  else if (lower === "host") ctx.addIssue({ code: "custom", path, message: "Host is not a header rule: set it with the route's rewrite.host" });
}

/** Header edits applied to a request or a response: set replaces, add appends, remove deletes. */
export const HeaderOpsSchema = z
  .strictObject({
    set: HeaderMapSchema.optional(),
    add: HeaderMapSchema.optional(),
    remove: z.array(HeaderNameSchema).optional(),
  })
  .superRefine((ops, ctx) => {
    for (const op of ["set", "add"] as const) for (const name of Object.keys(ops[op] ?? {})) refuseReserved(name, [op, name], ctx);
    ops.remove?.forEach((name, i) => refuseReserved(name, ["remove", i], ctx));
  });

/** A Host value: a name or an IPv4 address, or a bracketed IPv6 one, with an optional port. */
export const HostValueSchema = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:\d{1,5})?$/, "must be host or host:port");

/** An upgrade protocol (RFC 9110 §7.8): a token, optionally /version. */
export const UpgradeProtocolSchema = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$/, "must be a protocol name, optionally name/version (e.g. websocket)")
  .refine((p) => !/^h2c(\/|$)/i.test(p), "h2c is never forwarded: the HTTP/2 cleartext upgrade (deprecated by RFC 9113) is stripped, as nginx does");

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
