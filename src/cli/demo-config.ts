/**
 * The config document `fulcrum demo` applies: one http listener with an /api route (prefix
 * rewritten to /) and a catch-all route, both with retries, in front of one Maglev pool of the
 * demo backends, health-checked every second. It is an ordinary config document: `fulcrum export`
 * against the demo's admin API prints it back as YAML, a starting point for a real config.
 */

/** The header the demo pool hashes on: requests carrying the same value land on the same backend. */
export const DEMO_HASH_HEADER = "x-user";
/** The demo listener's, pool's and routes' names (the guide and the test refer to them). */
export const DEMO_NAMES = { listener: "web", pool: "demo", apiRoute: "api", defaultRoute: "everything-else" } as const;

/** Builds the demo config for a listener on `host`:`port` (0 = any free port) and these backends. */
export function demoConfig(host: string, port: number, backendAddresses: readonly string[]) {
  // Retry on another backend when one refuses or drops the connection: the window between a
  // backend's death and its health check flipping then costs the client nothing.
  const retries = { attempts: 2, on: ["connect_failure", "reset"] };
  return {
    listeners: [
      {
        name: DEMO_NAMES.listener,
        protocol: "http",
        address: `${host}:${port}`,
        pool: DEMO_NAMES.pool,
        routes: [
          { name: DEMO_NAMES.apiRoute, match: { path_prefix: "/api" }, pool: DEMO_NAMES.pool, rewrite: { path_prefix: "/" }, retries },
          { name: DEMO_NAMES.defaultRoute, retries },
        ],
      },
    ],
    pools: [
      {
        name: DEMO_NAMES.pool,
        algorithm: "maglev",
        hash_on: `header:${DEMO_HASH_HEADER}`,
        health_check: {
          type: "http",
          path: "/healthz",
          interval_ms: 1000,
          timeout_ms: 500,
          healthy_threshold: 2,
          unhealthy_threshold: 2,
        },
        connect_timeout_ms: 1000,
        backends: backendAddresses.map((address) => ({ address })),
      },
    ],
  };
}
