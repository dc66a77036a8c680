/**
 * `fulcrum maglev --size M KEY[=WEIGHT]...`: prints the Maglev table for the given backends as
 * `{"table":[...],"counts":{KEY:N,...}}`, where table[i] is the position of the owning backend on
 * the command line (-1 for none). How an operator checks how a pool spreads, and how anyone can
 * compare Fulcrum with another Maglev implementation (Envoy's keys are "ip:port").
 */
import { isLbError } from "../errors.ts";
import { parseCommand, type ParsedCommand } from "./args.ts";
import { commandHelp } from "./help.ts";
import { MAGLEV } from "./specs.ts";
import { MAGLEV_DEFAULT_SIZE, maglevSlotCounts, maglevTable } from "../wasm/index.ts";

interface Parsed {
  size: number;
  keys: string[];
  weights: number[];
}

function usageError(message: string): number {
  console.error(`fulcrum maglev: ${message}`);
  console.error(commandHelp(MAGLEV));
  return 2;
}

const INTEGER = /^[0-9]+$/;

/** Parses argv into size, keys and weights; a string is the usage error to report. */
function parse(argv: string[]): Parsed | string {
  let parsed: ParsedCommand<typeof MAGLEV.options>;
  try {
    parsed = parseCommand(MAGLEV, argv);
  } catch (e) {
    return (e as Error).message;
  }
  const sizeText = parsed.values.size;
  if (sizeText !== undefined && !INTEGER.test(sizeText)) return `--size needs a prime number, got ${JSON.stringify(sizeText)}`;
  const keys: string[] = [];
  const weights: number[] = [];
  for (const arg of parsed.positionals) {
    // The weight follows the last "=", so keys may themselves contain "=".
    const eq = arg.lastIndexOf("=");
    const key = eq < 0 ? arg : arg.slice(0, eq);
    const weightText = eq < 0 ? "1" : arg.slice(eq + 1);
    if (!INTEGER.test(weightText) || Number(weightText) > 0xffffffff) {
      return `bad weight in ${JSON.stringify(arg)}: a non-negative integer no larger than 4294967295 is needed`;
    }
    keys.push(key);
    weights.push(Number(weightText));
  }
  if (keys.length === 0) return "no backend keys given";
  return { size: sizeText === undefined ? MAGLEV_DEFAULT_SIZE : Number(sizeText), keys, weights };
}

/** Runs `fulcrum maglev` with `args` (after the command name); returns the exit code (2 = usage). */
export function maglevCommand(args: string[]): number {
  const parsed = parse(args);
  if (typeof parsed === "string") return usageError(parsed);
  let table: Int32Array;
  try {
    table = maglevTable(parsed.keys, parsed.weights, parsed.size);
  } catch (e) {
    if (isLbError(e, "MAGLEV_TABLE_SIZE") || isLbError(e, "INVALID_ARGUMENT")) return usageError(e.message);
    throw e;
  }
  const slots = maglevSlotCounts(table, parsed.keys.length);
  // fromEntries defines own properties, so even a key named "__proto__" is counted.
  const counts = Object.fromEntries(parsed.keys.map((k, i) => [k, slots[i]!]));
  process.stdout.write(`${JSON.stringify({ table: Array.from(table), counts })}\n`);
  return 0;
}
