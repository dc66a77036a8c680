/**
 * Where access-log lines go: stdout or a file. Lines are gathered and written in batches (every
 * 100 ms or 64 KiB), so a busy listener pays a string append per request, not a write system call.
 */
import { appendFileSync } from "node:fs";
import { registerLogFile } from "./log-files.ts";

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

export class LogSink {
  #buffer = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `dest` is "stdout" or a file path, appended to and created if missing. The file is opened at
   * each flush, so a rotated (renamed) file is left behind within FLUSH_MS, signal or not.
   */
  constructor(readonly dest: string) {
    if (dest !== "stdout") registerLogFile(this);
  }

  /** Queues `line` (which ends with "\n") for the next batch. */
  append(line: string): void {
    this.#buffer += line;
    if (this.#buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.#timer) {
      this.#timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.#timer.unref?.();
    }
  }

  /** Writes out what is buffered (also called at shutdown). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === "") return;
    const out = this.#buffer;
    this.#buffer = "";
    if (this.dest === "stdout") process.stdout.write(out);
    else appendFileSync(this.dest, out);
  }
}
