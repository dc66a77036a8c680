/**
 * Entry of the health-check Worker: runs a real `HealthChecker` on its own thread, so probe CPU
 * (connect/close syscalls, TLS handshakes, HTTP parsing) lands off the data plane. It reports
 * flips in small batches (a few ms), passes coalesced, and the status view periodically; the
 * main thread mirrors them (see worker-checker.ts). Must be an entrypoint of `bun build --compile`.
 */
import { HealthChecker } from "./checker.ts";
import type { FlipRecord, FromWorker, ToWorker } from "./check-worker-protocol.ts";

declare const self: Worker;

let seq = 0;
let flipMs = 5;
let passMs = 100;
let flips: FlipRecord[] = [];
let flipTimer: ReturnType<typeof setTimeout> | undefined;
let passes = new Map<string, Set<string>>();
let passTimer: ReturnType<typeof setInterval> | undefined;
let viewTimer: ReturnType<typeof setInterval> | undefined;

const post = (m: FromWorker) => self.postMessage(m);

function flushFlips(): void {
  clearTimeout(flipTimer);
  flipTimer = undefined;
  if (flips.length === 0) return;
  post({ t: "flips", seq, flips });
  flips = [];
}

function flushPasses(): void {
  // Flips first: the main thread then sees a backend turn healthy before its passes.
  flushFlips();
  if (passes.size === 0) return;
  post({ t: "passes", seq, passes: [...passes].map(([pool, set]) => [pool, [...set]]) });
  passes = new Map();
}

const checker = new HealthChecker(
  (pool, backend, healthy, reason) => {
    flips.push([pool, backend, healthy, reason]);
    // A short window batches the 1,000 flips of a mass failure into a few messages.
    flipTimer ??= setTimeout(flushFlips, flipMs);
  },
  (pool, backend) => {
    let set = passes.get(pool);
    if (!set) passes.set(pool, (set = new Set()));
    set.add(backend);
  },
);

function postView(): void {
  flushFlips();
  post({ t: "view", seq, view: checker.view().map((v) => [v.pool, v.backend, v.checks, v.lastError]) });
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  if (m.t === "init") {
    flipMs = m.flipMs;
    passMs = m.passMs;
    clearInterval(passTimer);
    clearInterval(viewTimer);
    passTimer = setInterval(flushPasses, passMs);
    viewTimer = setInterval(postView, m.viewMs);
    return;
  }
  // Results gathered so far belong to the commands applied so far: send them under that seq.
  flushPasses();
  seq = m.seq;
  if (m.t === "set") checker.setPool(m.pool, m.spec, m.backends);
  else checker.removePool(m.pool);
};
