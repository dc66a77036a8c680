/**
 * The config document schema (DESIGN.md "The config model"), shared by the admin API and config
 * files. Objects are strict: an unknown field is an error, so an operator's typo cannot pass.
 */
import { z } from "zod";
import { NameSchema } from "./schema-common.ts";
import { ListenerSchema, RouteSchema } from "./schema-listener.ts";
import { BackendSchema, PoolSchema } from "./schema-pool.ts";

export { BackendSchema, ListenerSchema, PoolSchema, RouteSchema };

/**
 * A TLS certificate and its private key, both PEM. key_pem is write-only: read paths omit it, and a
 * written certificate without one keeps the stored key (a new one without a key is refused).
 */
export const CertificateSchema = z.strictObject({
  name: NameSchema,
  // PEM content is checked by validateConfig (node:crypto), so one bad certificate does not hide
  // the other problems of the document.
  cert_pem: z.string().min(1),
  key_pem: z.string().min(1).optional(),
});

/** The whole declared configuration. */
export const ConfigDocSchema = z.strictObject({
  listeners: z.array(ListenerSchema).default([]),
  pools: z.array(PoolSchema).default([]),
  certificates: z.array(CertificateSchema).default([]),
});

/** The validated config document: every default filled. */
export type ConfigDoc = z.output<typeof ConfigDocSchema>;
export type Listener = z.output<typeof ListenerSchema>;
export type Route = z.output<typeof RouteSchema>;
export type Pool = z.output<typeof PoolSchema>;
export type Backend = z.output<typeof BackendSchema>;
export type Certificate = z.output<typeof CertificateSchema>;
/** What a caller may write: defaults may be left out. */
export type ConfigDocInput = z.input<typeof ConfigDocSchema>;
