/** Who may connect or be served: address access lists, client certificates (mTLS), and matching on them. */
import { z } from "zod";
import { CidrSchema, NameSchema } from "./schema-common.ts";

/**
 * By client address (listeners: the TCP peer or a trusted PROXY header's source; routes: also the
 * X-Forwarded-For client when the peer is in trusted_proxies). Deny wins; with `allow`, every
 * address it does not hold is denied.
 */
export const AccessSchema = z
  .strictObject({
    allow: z.array(CidrSchema).min(1, "an empty allow list would deny every client: leave allow out, or deny 0.0.0.0/0 and ::/0").optional(),
    deny: z.array(CidrSchema).optional(),
  })
  .refine((a) => a.allow !== undefined || a.deny !== undefined, "needs allow or deny");

/**
 * https listeners: ask clients for a certificate and verify it against `ca` (the name of a
 * certificate whose cert_pem is the CA bundle; it needs no key_pem) or `ca_pem`. `require`: a
 * client without a valid certificate fails the TLS handshake; `optional`: a client may come
 * without one, but one that presents an invalid certificate gets 403 CLIENT_CERT_INVALID.
 */
export const ClientAuthSchema = z
  .strictObject({
    ca: NameSchema.optional(),
    ca_pem: z.string().min(1).optional(),
    mode: z.enum(["require", "optional"]).default("require"),
  })
  .refine((c) => (c.ca === undefined) !== (c.ca_pem === undefined), "needs exactly one of ca (a certificate name) and ca_pem");

/** A SAN value to match; a trailing `*` matches any value starting with what precedes it. */
const SanPatternSchema = z
  .string()
  .min(1)
  .regex(/^[^\0-\x1f\x7f*]+\*?$/, "must be a SAN value (DNS name, URI, email or IP), optionally ending in * (prefix match)");

/**
 * A route matches only requests over a verified client certificate that carries every part given
 * here: `san` (one of its DNS, URI, email or IP SANs equals one of these; DNS names without case),
 * `subject` (its subject exactly as x-forwarded-client-cert and the access log show it, RFC 4514).
 * `{}` matches any verified certificate.
 */
export const ClientCertMatchSchema = z.strictObject({
  san: z.union([SanPatternSchema.transform((s) => [s]), z.array(SanPatternSchema).min(1)]).optional(),
  subject: z.string().min(1).optional(),
});
