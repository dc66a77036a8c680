/**
 * Live counters of one backend of one pool. One object per (pool, address) lives as long as the
 * backend stays in the config, across selector rebuilds, so counts never reset on a health flip.
 */
export class BackendStats {
  /** In-flight requests (L7) or open connections (L4): the live load balancers read. */
  active = 0;
  /** Requests (L7) or connections (L4) sent to it. */
  total = 0;
  /** Connect failures, resets and timeouts. */
  failures = 0;
  responses5xx = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** When it last turned healthy (ms since epoch), for slow start; undefined = from the start. */
  healthySinceMs: number | undefined;

  constructor(
    readonly pool: string,
    readonly address: string,
  ) {}
}
