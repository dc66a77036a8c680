/**
 * The database holds private keys in clear, so only its owner may read it. A new database file is
 * created 0600 before SQLite opens it; SQLite gives the -wal and -shm files it creates the same
 * mode as the database (its unix VFS copies it), so those are 0600 too. An existing database is
 * left as it is, but exposedFiles() lets `start` warn about it.
 */
import { closeSync, openSync, statSync } from "node:fs";

/** Files that belong to a database in WAL mode. */
const SUFFIXES = ["", "-wal", "-shm"];

/** True for SQLite's special names that are not files (":memory:", "", "file:..." URIs). */
function isFile(path: string): boolean {
  return path !== "" && path !== ":memory:" && !path.startsWith("file:");
}

/** Creates `path` empty with mode 0600 unless it exists (SQLite takes an empty file as a new database). */
export function createPrivate(path: string): void {
  if (!isFile(path)) return;
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch {
    // EEXIST: an existing database keeps its mode. Any other failure SQLite's own open reports.
  }
}

/** A database file that users other than its owner may read or write, with its mode (e.g. 0o644). */
export interface ExposedFile {
  file: string;
  mode: number;
}

/** The files of the database at `path` (itself, -wal, -shm) that group or others may access. */
export function exposedFiles(path: string): ExposedFile[] {
  if (!isFile(path)) return [];
  const out: ExposedFile[] = [];
  for (const suffix of SUFFIXES) {
    const file = path + suffix;
    let mode: number;
    try {
      mode = statSync(file).mode & 0o777;
    } catch {
      continue; // no such file: -wal and -shm exist only while the database is open
    }
    if ((mode & 0o077) !== 0) out.push({ file, mode });
  }
  return out;
}
