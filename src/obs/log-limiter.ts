import type { LogFields, LogLevel } from "./log.ts";

/** An event log as the data plane calls it: a line, and optionally its level and fields (see Logger). */
export type EventLog = (line: string, level?: LogLevel, fields?: LogFields) => void;

/**
 * Keeps an event log readable during a storm (1,000 backends flipping every second): the first
 * `perSecond` lines of each second are printed, the rest are counted and summarised in one line
 * when the next second begins.
 */
export function rateLimitedLog(log: EventLog, perSecond = 20, label = "events"): EventLog {
  let windowStart = 0;
  let shown = 0;
  let dropped = 0;
  return (line, level, fields) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (dropped > 0) log(`(${dropped} more ${label} in the last second not shown; see /v1/status)`);
      windowStart = now;
      shown = 0;
      dropped = 0;
    }
    if (shown < perSecond) {
      shown++;
      log(line, level, fields);
    } else dropped++;
  };
}
