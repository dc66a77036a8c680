/** What an active health check needs to know about one backend and how to probe it. */

/** The address a check probes: the backend's `host:port`, split. */
export interface CheckTarget {
  readonly key: string;
  readonly host: string;
  readonly port: number;
}

/** One probe kind. `check` resolves when the backend passed and throws an LbError when it failed. */
export interface HealthCheck {
  readonly type: "http" | "tcp" | "tls" | "grpc";
  check(target: CheckTarget, signal: AbortSignal): Promise<void>;
  /**
   * Called when the checker stops probing `target` (backend or pool removed, check changed,
   * checker stopped): closes whatever the check kept open for it (http's kept connection).
   */
  release?(target: CheckTarget): void;
}

/** A pool's active check settings with every default filled (see `resolveCheckSpec`). */
export interface CheckSpec {
  readonly type: "http" | "tcp" | "tls" | "grpc";
  readonly intervalMs: number;
  /** Interval while a backend is unhealthy: probe faster so it returns sooner. */
  readonly unhealthyIntervalMs: number;
  readonly timeoutMs: number;
  /** Up to this share of the interval is added at random, so a fleet's checks don't align. */
  readonly jitter: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
  /** "optimistic": backends start healthy (serve at once); "pessimistic": they must pass first. */
  readonly initial: "optimistic" | "pessimistic";
  // http
  readonly method: string;
  readonly path: string;
  readonly hostHeader?: string;
  /** Inclusive status ranges that count as a pass, e.g. [[200, 399]]. */
  readonly expectStatus: ReadonlyArray<readonly [number, number]>;
  readonly expectBody?: string;
  /** Keep one connection per backend and send every probe on it (Envoy's default); false = a fresh one per probe. */
  readonly reuseConnection: boolean;
  // tcp
  readonly send?: string;
  readonly expect?: string;
  // tls
  readonly serverName?: string;
  /**
   * http checks of a pool with upstream TLS speak TLS too, verified as the traffic is: a backend
   * whose certificate the proxy would refuse is not healthy.
   */
  readonly tls?: { readonly serverName?: string; readonly ca?: string; readonly verify: boolean };
  /** http and grpc checks of a pool that speaks HTTP/2 speak it too (h2: over `tls`, ALPN h2). */
  readonly protocol?: "h2" | "h2c";
  // grpc
  /** grpc.health.v1 HealthCheckRequest.service ("" = the server as a whole). */
  readonly service: string;
}
