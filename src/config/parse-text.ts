/** Config text (a file, a request body) to a plain value, before validation. */
import { parse as parseYaml, parseDocument, YAMLParseError } from "yaml";
import { LbError } from "../errors.ts";

/**
 * Parses YAML or JSON config text. `kind` defaults to JSON when the text starts with "{", else
 * YAML (YAML 1.2 is a superset of JSON, but JSON errors read better from JSON.parse). Throws
 * INVALID_YAML / INVALID_JSON (400) naming the line and column. Empty text is an empty document.
 */
export function parseConfigText(text: string, kind?: "yaml" | "json"): unknown {
  const k = kind ?? (text.trimStart().startsWith("{") ? "json" : "yaml");
  if (text.trim() === "") return {};
  return k === "json" ? parseJson(text) : parseYamlText(text);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    // JSC's JSON.parse reports no position; yaml's JSON-schema parser finds where it breaks.
    const where = parseDocument(text, { schema: "json" }).errors[0]?.linePos?.[0];
    const at = where ? ` at line ${where.line}, column ${where.col}` : "";
    throw new LbError("INVALID_JSON", `invalid JSON${at}: ${msg}`, {
      cause: e,
      details: [{ path: "", message: msg, ...(where ? { line: where.line, col: where.col } : {}) }],
    });
  }
}

function parseYamlText(text: string): unknown {
  try {
    // uniqueKeys: a repeated key is an operator mistake, not "last one wins".
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true, maxAliasCount: 100 });
  } catch (e) {
    if (!(e instanceof YAMLParseError)) throw e;
    const where = e.linePos?.[0];
    const at = where ? ` at line ${where.line}, column ${where.col}` : "";
    const first = e.message.split("\n")[0];
    throw new LbError("INVALID_YAML", `invalid YAML${at}: ${first}`, {
      cause: e,
      details: [{ path: "", message: first, ...(where ? { line: where.line, col: where.col } : {}) }],
    });
  }
}
