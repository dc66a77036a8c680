/** Read-path views of a document: what GET, export and the CLI may show. */
import type { ConfigDoc } from "./schema.ts";

/**
 * The document as every read path shows it: a deep copy without certificates' key_pem (write-only).
 * Writing it back keeps the stored keys (applyConfig merges them), so GET -> PUT is a no-op.
 */
export function redactConfig(doc: ConfigDoc): ConfigDoc {
  const copy = structuredClone(doc);
  for (const c of copy.certificates) delete c.key_pem;
  return copy;
}

/**
 * Puts stored keys back: every certificate of `incoming` without key_pem takes the key of the
 * stored certificate with the same name, if any. Returns a new document; `incoming` is untouched.
 */
export function mergeWriteOnly(incoming: ConfigDoc, stored: ConfigDoc): ConfigDoc {
  const keys = new Map(stored.certificates.map((c) => [c.name, c.key_pem]));
  return {
    ...incoming,
    certificates: incoming.certificates.map((c) => {
      const key = keys.get(c.name);
      return c.key_pem === undefined && key !== undefined ? { ...c, key_pem: key } : c;
    }),
  };
}
