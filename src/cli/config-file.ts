/**
 * Reads a config file for `start --config`, `validate` and `apply`: JSON when the name ends in
 * .json, YAML otherwise (YAML 1.2 also reads JSON); `-` is stdin. A missing or empty file, or a
 * parse error, is an LbError whose message names the file and, for YAML, the line and column.
 */
import { parse as parseYaml } from "yaml";
import { LbError } from "../errors.ts";

async function readText(path: string): Promise<string> {
  if (path === "-") return await Bun.stdin.text();
  const file = Bun.file(path);
  if (!(await file.exists())) throw new LbError("INVALID_ARGUMENT", `${path}: no such file`);
  return await file.text();
}

/** Reads and parses `path` (`-` = stdin); the result is still unvalidated input for validateConfig. */
export async function readConfigFile(path: string): Promise<unknown> {
  const text = await readText(path);
  const name = path === "-" ? "stdin" : path;
  // Applied, an empty document would delete every listener: most likely a truncated or wrong file.
  if (text.trim() === "") throw new LbError("CONFIG_INVALID", `${name} is empty (an empty config is written {})`);
  if (path.toLowerCase().endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new LbError("INVALID_JSON", `${name}: not valid JSON: ${(e as Error).message}`);
    }
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    // The first line says where (line, column); the rest quotes the file, which may be a private key.
    throw new LbError("INVALID_YAML", `${name}: not valid YAML: ${(e as Error).message.split("\n")[0]!.replace(/:$/, "")}`);
  }
  // Only comments: as empty as an empty file.
  if (doc === null || doc === undefined) throw new LbError("CONFIG_INVALID", `${name} holds no document, only comments (an empty config is written {})`);
  return doc;
}
