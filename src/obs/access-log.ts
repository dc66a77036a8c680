/**
 * The access log: one JSON object a line, to stdout or a file. Lines are gathered and written in
 * batches (every 100 ms or 64 KiB), so a busy listener pays a string append per request, not a
 * write system call.
 */
import { appendFileSync } from "node:fs";
import { registerLogFile } from "./log-files.ts";

export interface AccessLogEntry {
  time: string;
  listener: string;
  client: string;
  method: string;
  host: string;
  path: string;
  status: number;
  bytes_in: number;
  bytes_out: number;
  route?: string;
  pool?: string;
  backend?: string;
  attempts: number;
  duration_ms: number;
  upstream_ms?: number;
  error?: string;
  request_id: string;
  /** W3C trace id (listeners and routes with `tracing`). */
  trace_id?: string;
}

const FLUSH_BYTES = 64 * 1024;
const FLUSH_MS = 100;

export class AccessLog {
  #buffer = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `dest` is "stdout" or a file path, appended to and created if missing. The file is opened at
   * each flush, so a rotated (renamed) file is left behind within FLUSH_MS, signal or not.
   */
  constructor(readonly dest: string) {
    if (dest !== "stdout") registerLogFile(this);
  }

  write(entry: AccessLogEntry): void {
    this.#buffer += `${JSON.stringify(entry)}\n`;
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
