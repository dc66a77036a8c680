/**
 * Reads a config file for `start --config`, `validate` and `apply`: JSON when the name ends in
 * .json, YAML otherwise (YAML 1.2 also reads JSON). A missing file or a parse error is an LbError
 * whose message names the file and, for YAML, the line and column.
 */
import { parse as parseYaml } from "yaml";
import { LbError } from "../errors.ts";

/** Reads and parses `path`; the result is still unvalidated input for validateConfig. */
export async function readConfigFile(path: string): Promise<unknown> {
  const file = Bun.file(path);
  if (!(await file.exists())) throw new LbError("INVALID_ARGUMENT", `${path}: no such file`);
  const text = await file.text();
  if (path.toLowerCase().endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new LbError("INVALID_JSON", `${path}: not valid JSON: ${(e as Error).message}`);
    }
  }
  try {
    // An empty file is an empty document: every list defaults to [].
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 100 }) ?? {};
  } catch (e) {
    // The first line says where (line, column); the rest quotes the file, which may be a private key.
    throw new LbError("INVALID_YAML", `${path}: not valid YAML: ${(e as Error).message.split("\n")[0]!.replace(/:$/, "")}`);
  }
}
