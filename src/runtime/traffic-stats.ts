/**
 * Request counters per listener, route and pool: plain numbers bumped once per request on the hot
 * path, copied into Prometheus series at scrape time (metrics.ts) and shown by /v1/status.
 */
export class TrafficStats {
  /** Requests by status class: [no response, 1xx, 2xx, 3xx, 4xx, 5xx]. */
  readonly byClass = [0, 0, 0, 0, 0, 0];
  active = 0;
  bytesIn = 0;
  bytesOut = 0;
  retries = 0;
  /** Requests that ended with an x-fulcrum-error, by code. */
  readonly errors = new Map<string, number>();

  /** Counts one finished request. */
  record(status: number, bytesIn: number, bytesOut: number, retries: number, errorCode: string | undefined): void {
    const cls = status >= 100 && status < 600 ? Math.floor(status / 100) : 0;
    this.byClass[cls]!++;
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
    this.retries += retries;
    if (errorCode !== undefined) this.errors.set(errorCode, (this.errors.get(errorCode) ?? 0) + 1);
  }
}

/** The stats objects of one kind, by name, created on first use. */
export class StatsBook {
  readonly #byName = new Map<string, TrafficStats>();

  get(name: string): TrafficStats {
    let s = this.#byName.get(name);
    if (!s) {
      s = new TrafficStats();
      this.#byName.set(name, s);
    }
    return s;
  }

  entries(): IterableIterator<[string, TrafficStats]> {
    return this.#byName.entries();
  }
}

/** Every L7 counter of a node: by listener, by route ("listener/route") and by pool. */
export interface L7Stats {
  readonly listeners: StatsBook;
  readonly routes: StatsBook;
  readonly pools: StatsBook;
}

export function newL7Stats(): L7Stats {
  return { listeners: new StatsBook(), routes: new StatsBook(), pools: new StatsBook() };
}
