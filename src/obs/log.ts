/**
 * The event log of a running node: listeners bound, health changes and why, config revisions,
 * signals, stopping. Each line carries a UTC timestamp and a level, as text
 * (`2026-05-04T10:11:12.345Z WARN  health: pool app backend ... unhealthy: status 503`) or, with
 * format "json", one JSON object a line (`{"time","level","msg",...fields}`) for a log shipper.
 * Requests go to the access log, not here.
 */

export type LogLevel = "info" | "warn" | "error";
export type LogFormat = "text" | "json";
/** Structured detail beside the message: top-level keys in JSON; text lines show the message only, which already says it in words. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Where log lines go and how they look. */
export interface Logger {
  readonly format: LogFormat;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** The formats `--log-format` accepts. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

const TEXT_LEVEL: Record<LogLevel, string> = { info: "INFO ", warn: "WARN ", error: "ERROR" };

/** Formats one line (without the newline). */
export function formatLogLine(format: LogFormat, time: Date, level: LogLevel, msg: string, fields?: LogFields): string {
  if (format === "json") return JSON.stringify({ time: time.toISOString(), level, msg, ...fields });
  return `${time.toISOString()} ${TEXT_LEVEL[level]} ${msg}`;
}

/** A logger writing whole lines to `write` (default: console.log, which Bun writes synchronously, so a line logged just before exit is not lost). */
export function createLogger(opts: { format?: LogFormat; write?: (line: string) => void; now?: () => Date } = {}): Logger {
  const format = opts.format ?? "text";
  const write = opts.write ?? ((line: string) => console.log(line));
  const now = opts.now ?? (() => new Date());
  const log = (level: LogLevel, msg: string, fields?: LogFields) => write(formatLogLine(format, now(), level, msg, fields));
  return {
    format,
    log,
    info: (msg, fields) => log("info", msg, fields),
    warn: (msg, fields) => log("warn", msg, fields),
    error: (msg, fields) => log("error", msg, fields),
  };
}
