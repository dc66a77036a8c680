/**
 * How the operator runs this program, for the commands it prints (the start banner's hint, the
 * demo's guide, help's usage and examples): printed commands must run as printed. From source that
 * is `npm run -s fulcrum --` (-s keeps npm's banner out of redirected output); a compiled binary
 * names itself as found on PATH, else by its path.
 */
import { realpathSync } from "node:fs";
import { relative } from "node:path";

/** True inside a `bun build --compile` binary, whose sources live in Bun's embedded file system. */
export function isCompiled(): boolean {
  return Bun.main.startsWith("/$bunfs/") || /^[A-Z]:\\~BUN\\/i.test(Bun.main);
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    // A path that cannot be resolved is compared as written.
    return p;
  }
}

/** Quotes `s` for a POSIX shell when it holds anything but safe characters. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The command prefix that runs this program in the current shell and folder ("npm run -s fulcrum --", "fulcrum", "./dist/fulcrum"). */
export function selfCommand(): string {
  if (!isCompiled()) return "npm run -s fulcrum --";
  const exe = realpath(process.execPath);
  const onPath = Bun.which("fulcrum");
  if (onPath !== null && realpath(onPath) === exe) return "fulcrum";
  const rel = relative(process.cwd(), exe);
  return shellQuote(rel.startsWith("..") || rel === "" ? exe : `./${rel}`);
}
