/**
 * validateConfig: the schema, then every semantic check, reporting all problems with their paths
 * as one CONFIG_INVALID. Used by the admin API, config files and `fulcrum validate`.
 */
import { checkCertificate } from "./certificates.ts";
import { fromZodIssues, throwIfAny, type Problem } from "./problems.ts";
import { ConfigDocSchema, type ConfigDoc } from "./schema.ts";
import { checkListeners } from "./validate-listeners.ts";
import { checkPools } from "./validate-pools.ts";

/**
 * Parses and checks a config document; returns it with every default filled. Throws
 * LbError CONFIG_INVALID (400) whose `details` are `{ path, message }[]`, one per problem. A
 * certificate without key_pem passes here (the store may hold its key; applyConfig decides).
 */
export function validateConfig(input: unknown): ConfigDoc {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throwIfAny([{ path: "", message: "the config document must be an object (listeners, pools, certificates)" }]);
  const parsed = ConfigDocSchema.safeParse(input);
  if (!parsed.success) throwIfAny(fromZodIssues(parsed.error.issues));
  const doc = parsed.data as ConfigDoc;
  const problems: Problem[] = [];
  checkListeners(doc, problems);
  checkPools(doc, problems);
  doc.certificates.forEach((c, i) => checkCertificate(c, `certificates[${i}]`, false, problems));
  throwIfAny(problems);
  return doc;
}
