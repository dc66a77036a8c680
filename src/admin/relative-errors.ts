/**
 * A write on one resource validates the whole document, whose problem paths start at the
 * document (`listeners[3].address`). The caller sent the resource, so paths inside it are shown
 * relative to it (`address`); a problem elsewhere in the document keeps its full path.
 */
import { isLbError, LbError } from "../errors.ts";

interface Problem {
  path: string;
  message: string;
}

function isProblem(d: unknown): d is Problem {
  return typeof d === "object" && d !== null && typeof (d as Problem).path === "string" && typeof (d as Problem).message === "string";
}

/** `path` relative to `prefix` ("pools[2]"): "" for the resource itself, unchanged outside it. */
export function relativePath(path: string, prefix: string): string {
  if (path === prefix) return "";
  if (path.startsWith(`${prefix}.`)) return path.slice(prefix.length + 1);
  if (path.startsWith(`${prefix}[`)) return path.slice(prefix.length);
  return path;
}

/** CONFIG_INVALID `e` with its problems' paths relative to `prefix`, message rebuilt to match. */
function relativize(e: LbError, prefix: string): LbError {
  const details = (e.details ?? []).map((d) => (isProblem(d) ? { ...d, path: relativePath(d.path, prefix) } : d));
  const problems = details.filter(isProblem);
  const colon = e.message.indexOf(": ");
  if (colon < 0 || problems.length !== details.length) return new LbError(e.code, e.message, { details, cause: e });
  const lines = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message));
  return new LbError(e.code, `${e.message.slice(0, colon)}: ${lines.join("; ")}`, { details, cause: e });
}

/**
 * Runs `write`; a CONFIG_INVALID it throws comes out with paths relative to `prefix()`, the
 * resource's path in the document as the write placed it (undefined: leave the paths as they are).
 */
export async function withRelativePaths<T>(write: () => Promise<T>, prefix: () => string | undefined): Promise<T> {
  try {
    return await write();
  } catch (e) {
    const at = prefix();
    if (at !== undefined && isLbError(e, "CONFIG_INVALID")) throw relativize(e, at);
    throw e;
  }
}
