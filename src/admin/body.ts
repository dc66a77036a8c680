/**
 * Reads a write's body: checks its content type (415 otherwise), then parses JSON (400
 * INVALID_JSON) or, where allowed, YAML (400 INVALID_YAML). The size limit is enforced earlier by
 * the body-limit middleware, both on Content-Length and while the body streams in.
 */
import type { Context } from "hono";
import { parse as parseYaml } from "yaml";
import { LbError } from "../errors.ts";

/** Media types a write may carry. */
export type BodyFormat = "json" | "yaml";

function mediaType(c: Context): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

function formatOf(type: string, allowYaml: boolean): BodyFormat | undefined {
  if (type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"))) return "json";
  if (allowYaml && (type === "application/yaml" || type === "text/yaml" || type === "application/x-yaml")) return "yaml";
  return undefined;
}

/** Deeper than any config document nests (about 6 levels); beyond it the body is refused. */
export const MAX_BODY_DEPTH = 64;

/**
 * Throws INVALID_REQUEST when `value` nests deeper than MAX_BODY_DEPTH. Iterative, and visits a
 * shared (YAML alias) node once, so neither a deep body nor an alias web can exhaust the stack
 * or the CPU of the recursive code that runs later (merge patch, validation).
 */
export function checkDepth(value: unknown): void {
  const seen = new Set<object>();
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== "object" || v === null || seen.has(v)) continue;
    if (depth > MAX_BODY_DEPTH) throw new LbError("INVALID_REQUEST", `body nests deeper than ${MAX_BODY_DEPTH} levels`);
    seen.add(v);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}

/** Parses the request body; `allowYaml` also accepts application/yaml and text/yaml. */
export async function readBody(c: Context, opts: { allowYaml?: boolean } = {}): Promise<unknown> {
  const type = mediaType(c);
  const format = formatOf(type, opts.allowYaml ?? false);
  if (!format) {
    const wanted = opts.allowYaml ? "application/json or application/yaml" : "application/json";
    throw new LbError("UNSUPPORTED_MEDIA_TYPE", `content-type ${type || "(none)"} is not accepted here; send ${wanted}`);
  }
  const value = parse(await c.req.text(), format);
  checkDepth(value);
  return value;
}

function parse(text: string, format: BodyFormat): unknown {
  if (format === "json") {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new LbError("INVALID_JSON", `body is not valid JSON: ${(e as Error).message}`);
    }
  }
  try {
    // uniqueKeys: a repeated key is a mistake, not "last one wins"; maxAliasCount bounds expansion.
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    throw new LbError("INVALID_YAML", `body is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Like readBody, but the value must be a JSON object (a resource). */
export async function readObject(c: Context): Promise<Record<string, unknown>> {
  const v = await readBody(c);
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new LbError("INVALID_REQUEST", "body must be a JSON object");
  }
  return v as Record<string, unknown>;
}
