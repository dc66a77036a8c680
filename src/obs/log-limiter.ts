/**
 * Keeps an event log readable during a storm (1,000 backends flipping every second): the first
 * `perSecond` lines of each second are printed, the rest are counted and summarised in one line
 * when the next second begins.
 */
export function rateLimitedLog(log: (line: string) => void, perSecond = 20, label = "events"): (line: string) => void {
  let windowStart = 0;
  let shown = 0;
  let dropped = 0;
  return (line: string) => {
    const now = Date.now();
    if (now - windowStart >= 1000) {
      if (dropped > 0) log(`(${dropped} more ${label} in the last second not shown; see /v1/status)`);
      windowStart = now;
      shown = 0;
      dropped = 0;
    }
    if (shown < perSecond) {
      shown++;
      log(line);
    } else dropped++;
  };
}
