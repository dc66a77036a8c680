/**
 * Query parameters are checked like body fields: each endpoint declares the ones it takes as one
 * strict zod object (Operation.query), which both validates the request and describes it in
 * /v1/openapi.json. Any other parameter is a 400 naming it, so a typo (`?dryrun=true`) is refused
 * instead of silently ignored; so is a parameter given twice, unless it is a list.
 */
import { z } from "zod";
import { LbError } from "../errors.ts";

/** The query parameters of one endpoint: a strict object of (mostly optional) fields. */
export type QuerySchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

/** An endpoint that takes no query parameter. */
export const NO_QUERY = z.strictObject({});

/**
 * A yes/no parameter: `true`, `1` or bare (`?dry_run`) is yes; absent, `false` or `0` is no;
 * anything else is a 400 (never guessed).
 */
export function flag(description: string) {
  return z
    .enum(["true", "1", "", "false", "0"])
    .meta({ description, examples: ["true"] })
    .optional()
    .transform((v) => v === "true" || v === "1" || v === "");
}

/** How long ?wait=applied waits by default, and at most. */
export const DEFAULT_WAIT_MS = 10_000;
export const MAX_WAIT_MS = 300_000;

const WHOLE_MS = `must be a whole number of milliseconds from 0 to ${MAX_WAIT_MS}`;

/**
 * What every write takes. `wait=applied` (a cluster node only: write.ts; never with dry_run)
 * holds the answer until every live node applied or refused the revision, for at most
 * `timeout_ms` (default DEFAULT_WAIT_MS).
 */
export const WriteQuerySchema = z
  .strictObject({
    // wait and timeout_ms carry no example: the description's example requests must succeed on a
    // standalone node, where wait is a 400.
    dry_run: flag("Validate, compile and check only (bind checks included): nothing is stored; the answer is 200 with `dry_run: true` and the diff."),
    wait: z
      .literal("applied", { error: (iss) => `must be "applied", not "${String(iss.input)}"` })
      .meta({ description: "A cluster node only: answer once every live node applied (or refused) the new revision, or at timeout_ms; the answer's `wait` says which did." })
      .optional(),
    timeout_ms: z.coerce
      .number({ error: WHOLE_MS })
      .int({ error: WHOLE_MS })
      .min(0, { error: WHOLE_MS })
      .max(MAX_WAIT_MS, { error: WHOLE_MS })
      .meta({ description: `With wait=applied: how long to wait, in milliseconds (default ${DEFAULT_WAIT_MS}).` })
      .optional(),
  })
  .superRefine((q, ctx) => {
    if (q.timeout_ms !== undefined && q.wait === undefined) ctx.addIssue({ code: "custom", path: ["timeout_ms"], message: "goes with wait=applied" });
    if (q.wait !== undefined && q.dry_run) ctx.addIssue({ code: "custom", path: ["wait"], message: "cannot go with dry_run: a dry run writes nothing" });
  });
export type WriteQuery = z.output<typeof WriteQuerySchema>;

/** The schema inside optional/default wrappers. */
function unwrapped(s: z.core.$ZodType): z.core.$ZodType {
  let t = s;
  while (t._zod.def.type === "optional" || t._zod.def.type === "default") t = (t._zod.def as unknown as { innerType: z.core.$ZodType }).innerType;
  return t;
}

/** True when parameter `name` of `schema` is a list: given repeated or comma-separated. */
export function isListParam(schema: QuerySchema, name: string): boolean {
  const field = schema.shape[name];
  return field !== undefined && unwrapped(field)._zod.def.type === "array";
}

function refused(issues: readonly z.core.$ZodIssue[], accepted: string[]): LbError {
  const details = issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => ({ path: k, message: "unknown query parameter" }))
      : [{ path: i.path.join("."), message: i.message }],
  );
  const first = details[0]!;
  const message =
    first.message === "unknown query parameter"
      ? `unknown query parameter "${first.path}" (${accepted.length === 0 ? "this endpoint takes none" : `accepted: ${accepted.join(", ")}`})`
      : `bad query: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`;
  return new LbError("INVALID_REQUEST", message, { details });
}

/**
 * Parses the raw query (every value of every name, as `c.req.queries()` gives it) with `schema`;
 * throws INVALID_REQUEST naming the parameters that are unknown, repeated or malformed.
 */
export function parseQuery<S extends QuerySchema>(schema: S, raw: Record<string, string[]>): z.output<S> {
  const flat: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(raw)) {
    // An unknown name goes to the schema as given once, which refuses it by name.
    if (!(name in schema.shape)) flat[name] = values[0];
    else if (isListParam(schema, name)) flat[name] = values.flatMap((v) => v.split(",")).map((v) => v.trim());
    else if (values.length > 1) throw new LbError("INVALID_REQUEST", `query parameter "${name}" is given ${values.length} times`);
    else flat[name] = values[0];
  }
  const r = schema.safeParse(flat);
  if (!r.success) throw refused(r.error.issues, Object.keys(schema.shape));
  return r.data;
}
