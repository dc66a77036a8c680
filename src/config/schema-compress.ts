/**
 * Response compression (`compress`) on an http(s) listener or a route: the codings offered (in the
 * order preferred when the client's q-values tie), the media types compressed, the smallest
 * declared length worth it, and the level of each coding. A route's fields override the listener's
 * one by one; `enabled: false` turns compression off where it would be inherited.
 */
import { z } from "zod";

/** A content coding Fulcrum applies (the Content-Encoding token). */
export const CodingSchema = z.enum(["br", "zstd", "gzip"]);

/** "text/html", a family "text/*", or "*" (any type); parameters are not part of it. */
const MediaRangeSchema = z
  .string()
  .regex(/^(\*(\/\*)?|[A-Za-z0-9!#$&^_.+-]+\/(\*|[A-Za-z0-9!#$&^_.+-]+))$/, 'must be a media type ("text/html"), a family ("text/*") or "*"');

export const CompressSchema = z.strictObject({
  /** Default true; false turns off what the listener's `compress` would give a route. */
  enabled: z.boolean().optional(),
  algorithms: z
    .array(CodingSchema)
    .min(1)
    .refine((a) => new Set(a).size === a.length, "names an algorithm twice")
    .optional(),
  types: z.array(MediaRangeSchema).min(1).optional(),
  /** Responses that declare a Content-Length below this are sent as they are (default 1024). */
  min_bytes: z.number().int().min(0).max(2 ** 31).optional(),
  levels: z
    .strictObject({
      gzip: z.number().int().min(1).max(9).optional(),
      br: z.number().int().min(0).max(11).optional(),
      zstd: z.number().int().min(1).max(19).optional(),
    })
    .optional(),
});

export type CompressDoc = z.infer<typeof CompressSchema>;
