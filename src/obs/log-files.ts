/**
 * The log files this process writes (access logs), reachable by SIGUSR1 without the data plane's
 * help: logrotate renames a file, then signals, and each file must then be written afresh at its
 * path. Held weakly, so a log the data plane drops is not kept alive here.
 */

/** A log that buffers lines and writes them to the file at `dest` when flushed. */
export interface LogFile {
  readonly dest: string;
  /** Writes what is buffered, opening `dest` anew (so a renamed file is left behind). */
  flush(): void;
}

const files = new Set<WeakRef<LogFile>>();

/** Makes `log` reachable by reopenLogFiles. */
export function registerLogFile(log: LogFile): void {
  files.add(new WeakRef(log));
}

/** Flushes every live log file at its path (what SIGUSR1 asks for); returns the paths, each once. */
export function reopenLogFiles(): string[] {
  const paths = new Set<string>();
  for (const ref of files) {
    const log = ref.deref();
    if (log === undefined) {
      files.delete(ref);
      continue;
    }
    log.flush();
    paths.add(log.dest);
  }
  return [...paths];
}
