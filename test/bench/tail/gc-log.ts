/**
 * JSC's collection log (a node started with BUN_JSC_logGC=1 writes it to stderr) read into what
 * the tail benches report: how many young (Eden) and full collections ran, how long the
 * collector stopped the program, and the heap left after each. One line per collection step:
 *   [GC<0x…>: START M 26129kb => EdenCollection, … p=1.6ms (max …)…]    (one step of a cycle)
 *   [GC<0x…>: M a=… … => 23053kb, p=2.69ms (max …), cycle 2.47ms END]    (its last step)
 * Each step's `p=` is a stop of the program; a cycle's pause is their sum. Every thread with a
 * JS heap logs (the health-check Worker too): the heap with the most collections is the one that
 * serves traffic (the main thread's with --workers 1).
 */

/** One collection cycle of one heap. */
export interface GcCycle {
  kind: "eden" | "full";
  /** Sum of the cycle's stops of the program, ms. */
  pauseMs: number;
  /** Heap size when it began and what was left after it, KB. */
  beforeKb: number;
  afterKb: number;
}

/** What a window of the log says about one heap. */
export interface GcSummary {
  edens: number;
  fulls: number;
  /** Stopped time, ms, over every cycle. */
  pauseMs: number;
  maxPauseMs: number;
  /** Heap after the window's first and last cycle, KB (0 when there was none). */
  firstAfterKb: number;
  lastAfterKb: number;
}

const START = /GC<(0x[0-9a-f]+)>: START M (\d+)kb => (Eden|Full)Collection/;
const PAUSE = /\bp=([0-9.]+)ms/g;
const END = /=> (\d+)kb, p=[0-9.]+ms \(max [0-9.]+\), cycle [0-9.]+ms END/;
const HEAP = /GC<(0x[0-9a-f]+)>:/;

/** The cycles of every heap in `log`, by heap address, in log order (a cycle cut off by the window's end is left out). */
export function gcCycles(log: string): Map<string, GcCycle[]> {
  const done = new Map<string, GcCycle[]>();
  const open = new Map<string, GcCycle>();
  for (const line of log.split("\n")) {
    const heap = HEAP.exec(line)?.[1];
    if (heap === undefined) continue;
    const start = START.exec(line);
    if (start) open.set(heap, { kind: start[3] === "Eden" ? "eden" : "full", pauseMs: 0, beforeKb: Number(start[2]), afterKb: 0 });
    const c = open.get(heap);
    if (c === undefined) continue;
    for (const m of line.matchAll(PAUSE)) c.pauseMs += Number(m[1]);
    const end = END.exec(line);
    if (!end) continue;
    c.afterKb = Number(end[1]);
    open.delete(heap);
    const list = done.get(heap) ?? [];
    list.push(c);
    done.set(heap, list);
  }
  return done;
}

/** The heap that collected most often in `log` (the one serving traffic), or null when none did. */
export function busiestHeap(log: string): string | null {
  let best: string | null = null, n = -1;
  for (const [heap, cycles] of gcCycles(log)) if (cycles.length > n) [best, n] = [heap, cycles.length];
  return best;
}

/** Summary of `heap`'s cycles in `log` (a window of the whole log). */
export function summarizeGc(log: string, heap: string): GcSummary {
  const cycles = gcCycles(log).get(heap) ?? [];
  let pause = 0, max = 0, edens = 0;
  for (const c of cycles) {
    pause += c.pauseMs;
    max = Math.max(max, c.pauseMs);
    if (c.kind === "eden") edens++;
  }
  return {
    edens,
    fulls: cycles.length - edens,
    pauseMs: pause,
    maxPauseMs: max,
    firstAfterKb: cycles[0]?.afterKb ?? 0,
    lastAfterKb: cycles.at(-1)?.afterKb ?? 0,
  };
}
