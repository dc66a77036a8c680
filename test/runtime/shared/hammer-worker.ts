/** A Worker for the shared-memory tests: attaches to the tables it is sent and races the other workers on them. */
import { ClientCounts, NodeCounters, scopeOf } from "../../../src/runtime/shared/index.ts";

declare const self: Worker;

self.onmessage = (ev: MessageEvent) => {
  const m = ev.data;
  const start = new Int32Array(m.start as SharedArrayBuffer);
  // Every worker spins until all are attached, so their loops really overlap.
  Atomics.add(start, 0, 1);
  while (Atomics.load(start, 0) < m.workers) {}
  if (m.kind === "counters") {
    const c = NodeCounters.attach(m.layout, m.worker);
    let ok = 0;
    for (let i = 0; i < m.tries; i++) if (c.tryAcquire(m.slot, m.cap)) ok++;
    // Churn: take and give back, never holding more than the cap between them.
    for (let i = 0; i < m.tries; i++) if (c.tryAcquire(m.slot + 1, 1)) c.release(m.slot + 1);
    self.postMessage({ ok });
  } else {
    const c = ClientCounts.attach(m.layout, m.worker);
    const scope = scopeOf("web");
    let ok = 0;
    for (let i = 0; i < m.tries; i++) if (c.acquire(scope, "10.0.0.1", m.cap) === "ok") ok++;
    for (let i = 0; i < m.tries; i++) if (c.acquire(scope, `10.1.${m.worker}.${i % 250}`, 1_000_000) === "ok") c.release(scope, `10.1.${m.worker}.${i % 250}`);
    self.postMessage({ ok });
  }
};
