/**
 * Preloaded into a node (`bun --preload`) by tests that check nothing arms a timer per request or
 * per connection: counts every setTimeout and setInterval call the program makes and writes the
 * count to the file named by FULCRUM_TIMER_COUNT_FILE every 20 ms (and at once at start).
 */
import { writeFileSync } from "node:fs";

const file = process.env.FULCRUM_TIMER_COUNT_FILE;
if (!file) throw new Error("timer-count-preload: FULCRUM_TIMER_COUNT_FILE is not set");
let count = 0;
const realTimeout = globalThis.setTimeout;
const realInterval = globalThis.setInterval;
writeFileSync(file, "0");
// Armed before the wrappers, so the counter's own timer is not counted.
realInterval(() => writeFileSync(file, String(count)), 20).unref();
globalThis.setTimeout = Object.assign((...a: Parameters<typeof setTimeout>) => (count++, realTimeout(...a)), realTimeout) as typeof setTimeout;
globalThis.setInterval = Object.assign((...a: Parameters<typeof setInterval>) => (count++, realInterval(...a)), realInterval) as typeof setInterval;
