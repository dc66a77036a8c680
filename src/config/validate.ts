/**
 * validateConfig: the schema, then every semantic check, reporting all problems with their paths
 * as one CONFIG_INVALID. Used by the admin API, config files and `fulcrum validate`.
 */
import { LbError } from "../errors.ts";
import { checkCertificate } from "./certificates.ts";
import { fromZodIssues, throwIfAny, type Problem } from "./problems.ts";
import { CertificateSchema, ConfigDocSchema, ListenerSchema, PoolSchema, type ConfigDoc } from "./schema.ts";
import { checkListeners, type KnownNames } from "./validate-listeners.ts";
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
  if (parsed.success) {
    throwIfAny(semanticProblems(parsed.data));
    return parsed.data;
  }
  // Schema problems first; then the semantic checks over the resources that did parse, so one
  // typo does not hide a dangling reference elsewhere.
  const partial = partialDoc(input as Record<string, unknown>);
  throwIfAny([...fromZodIssues(parsed.error.issues), ...semanticProblems(partial.doc, partial.names)]);
  // Not reached: a failed parse has at least one issue, so throwIfAny threw.
  throw new LbError("INTERNAL", "validateConfig: schema failed without issues");
}

/** Validated resources by the input object they came from (see validateConfigReusing). */
export type ValidatedResources = WeakMap<object, object>;

type Parser = { safeParse(x: unknown): { success: boolean; data?: unknown } };

/**
 * validateConfig for a document whose resource objects are never modified and mostly seen before
 * (a cluster node's mirrored config: an unchanged resource is the same object from one revision to
 * the next). A resource object validated once gets the same validated object from `seen`; only new
 * ones go through the schema. The checks across resources run on the whole document, as always. A
 * document with any problem is judged by validateConfig, so errors read the same. Returning the same
 * validated objects for unchanged resources is also what lets compileSnapshot keep their compiled ones.
 */
export function validateConfigReusing(input: unknown, seen: ValidatedResources): ConfigDoc {
  const raw = input as Record<string, unknown>;
  if (typeof input !== "object" || input === null || Array.isArray(input)) return validateConfig(input);
  if (Object.keys(raw).some((k) => k !== "listeners" && k !== "pools" && k !== "certificates")) return validateConfig(input);
  const listeners = reuseEach(raw.listeners, ListenerSchema, seen);
  const pools = reuseEach(raw.pools, PoolSchema, seen);
  const certificates = reuseEach(raw.certificates, CertificateSchema, seen);
  if (!listeners || !pools || !certificates) return validateConfig(input);
  const doc = { listeners, pools, certificates } as ConfigDoc;
  return semanticProblems(doc).length === 0 ? doc : validateConfig(input);
}

/** Each resource of `list` validated (from `seen`, or parsed and remembered); undefined if one fails. */
function reuseEach(list: unknown, schema: Parser, seen: ValidatedResources): object[] | undefined {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return undefined;
  const out: object[] = [];
  for (const x of list) {
    if (typeof x !== "object" || x === null) return undefined;
    let v = seen.get(x);
    if (v === undefined) {
      const r = schema.safeParse(x);
      if (!r.success) return undefined;
      v = r.data as object;
      seen.set(x, v);
    }
    out.push(v);
  }
  return out;
}

function semanticProblems(doc: ConfigDoc, names?: KnownNames): Problem[] {
  const problems: Problem[] = [];
  checkListeners(doc, problems, names);
  checkPools(doc, problems);
  doc.certificates.forEach((c, i) => checkCertificate(c, `certificates[${i}]`, false, problems));
  return problems;
}

/**
 * Each top-level resource parsed on its own; those that fail leave a hole at their index (array
 * methods skip holes, so checks see only valid ones at their real paths). Their names, when
 * readable, still count as existing, so a reference to a pool with a typo is not also "missing".
 */
function partialDoc(input: Record<string, unknown>): { doc: ConfigDoc; names: KnownNames } {
  const names: KnownNames = { pools: new Set(), certificates: new Set() };
  const each = <T>(raw: unknown, schema: { safeParse(x: unknown): { success: boolean; data?: T } }, seen?: Set<string>): T[] => {
    if (!Array.isArray(raw)) return [];
    const out = new Array<T>(raw.length);
    raw.forEach((x, i) => {
      const name = (x as { name?: unknown } | null)?.name;
      if (seen && typeof name === "string") seen.add(name);
      const r = schema.safeParse(x);
      if (r.success) out[i] = r.data as T;
    });
    return out;
  };
  const doc: ConfigDoc = {
    listeners: each(input.listeners, ListenerSchema),
    pools: each(input.pools, PoolSchema, names.pools),
    certificates: each(input.certificates, CertificateSchema, names.certificates),
  };
  return { doc, names };
}
