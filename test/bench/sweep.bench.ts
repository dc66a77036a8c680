/**
 * The L7 listener's deadline sweep (issue 17) at 100,000 idle keep-alive connections: one tick of
 * the deadline wheel (src/l7/deadline-wheel.ts), which visits only what is due, beside the full
 * walk it replaced (every connection's clocks checked 4×/s), over the same items.
 */
import { DeadlineWheel, type Wheeled } from "../../src/l7/deadline-wheel.ts";
import { medianMs, type Report } from "./harness.ts";

const N = 100_000;

class Conn implements Wheeled {
  wheelSlot = 0;
  wheelPrev: Wheeled | null = null;
  wheelNext: Wheeled | null = null;
  requestDeadline = 0;
  constructor(public deadline: number) {}
  sweep(now: number): void {
    if (this.requestDeadline !== 0 && now > this.requestDeadline) this.requestDeadline = 0;
    if (this.deadline === 0 || now <= this.deadline) return;
    this.deadline = 0;
  }
}

export function run(report: Report): void {
  // idle deadlines spread over the next 60 s, as connections that went idle at different times
  const conns = Array.from({ length: N }, (_, i) => new Conn(60_000 + (i % 240) * 250));
  const set = new Set(conns);
  let now = 1_000;
  const walk = medianMs(() => {
    now += 250;
    for (const c of set) c.sweep(now);
  });
  report({ name: `l7 sweep tick, full walk of ${N.toLocaleString("en")} idle connections`, value: walk, unit: "ms" });
  const wheel = new DeadlineWheel<Conn>(250, 0);
  for (const c of conns) wheel.file(c, c.deadline);
  now = 1_000;
  const visit = (c: Conn) => {
    c.sweep(now);
    wheel.file(c, c.deadline);
  };
  const before = wheel.visits;
  let ticks = 0;
  const tick = medianMs(() => {
    now += 250;
    ticks++;
    wheel.sweep(now, visit);
  });
  report({ name: `l7 sweep tick, deadline wheel (${((wheel.visits - before) / ticks).toFixed(0)} visits a tick)`, value: tick, unit: "ms" });
}
