/**
 * Response compression counters per listener and per route ("listener/route"): responses by coding,
 * and body bytes into the encoder (from the backend) and out of it (to the client). Bumped once
 * per compressed response, in onLog; copied into Prometheus series at scrape time.
 */
import { CODINGS, type Coding } from "../../l7/index.ts";
import type { Registry } from "../../obs/index.ts";

export class CompressCounters {
  /** Compressed responses, indexed as CODINGS. */
  readonly responses = [0, 0, 0];
  bytesIn = 0;
  bytesOut = 0;

  record(coding: Coding, bytesIn: number, bytesOut: number): void {
    this.responses[CODINGS.indexOf(coding)]!++;
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
  }
}

/** Counters by name, created on first use. */
export class CompressBook {
  readonly #byName = new Map<string, CompressCounters>();

  get(name: string): CompressCounters {
    let c = this.#byName.get(name);
    if (!c) this.#byName.set(name, (c = new CompressCounters()));
    return c;
  }

  entries(): IterableIterator<[string, CompressCounters]> {
    return this.#byName.entries();
  }
}

export interface CompressStats {
  readonly listeners: CompressBook;
  /** Keyed "listener/route". */
  readonly routes: CompressBook;
}

export function newCompressStats(): CompressStats {
  return { listeners: new CompressBook(), routes: new CompressBook() };
}

/** Counts one compressed response of listener `listener` (and its route, when one matched). */
export function recordCompression(stats: CompressStats, listener: string, route: string | undefined, coding: Coding, bytesIn: number, bytesOut: number): void {
  stats.listeners.get(listener).record(coding, bytesIn, bytesOut);
  if (route !== undefined) stats.routes.get(`${listener}/${route}`).record(coding, bytesIn, bytesOut);
}

type Labels = Record<string, string>;

/** fulcrum_{listener,route}_compressed_responses_total{algorithm} and _compression_bytes_total{direction}. */
export function registerCompressMetrics(metrics: Registry, stats: CompressStats): void {
  const levels: [string, string[], CompressBook, (name: string) => Labels][] = [
    ["listener", ["listener"], stats.listeners, (listener) => ({ listener })],
    ["route", ["listener", "route"], stats.routes, routeLabels],
  ];
  for (const [level, labels, book, labelsOf] of levels) {
    metrics.counter(`fulcrum_${level}_compressed_responses_total`, `Responses compressed by Fulcrum per ${level}, by algorithm (the Content-Encoding applied)`, [...labels, "algorithm"], (c) => {
      for (const [name, k] of book.entries()) {
        k.responses.forEach((v, i) => v > 0 && c.set(v, { ...labelsOf(name), algorithm: CODINGS[i]! }));
      }
    });
    metrics.counter(`fulcrum_${level}_compression_bytes_total`, `Body bytes of compressed responses per ${level}: in = as the backend sent them, out = compressed, to the client`, [...labels, "direction"], (c) => {
      for (const [name, k] of book.entries()) {
        c.set(k.bytesIn, { ...labelsOf(name), direction: "in" });
        c.set(k.bytesOut, { ...labelsOf(name), direction: "out" });
      }
    });
  }
}

/** Route keys are "listener/route" (names cannot hold a "/"). */
function routeLabels(key: string): Labels {
  const slash = key.indexOf("/");
  return { listener: key.slice(0, slash), route: key.slice(slash + 1) };
}
