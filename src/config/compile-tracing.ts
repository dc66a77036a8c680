/** Compiles `tracing` of a listener and its routes into SnapshotTracing (one object per listener, shared by routes that do not override). */
import type { Listener, Route } from "./schema.ts";
import type { SnapshotTracing } from "./snapshot.ts";

/** `service.name` of exported spans when the listener names none. */
export const DEFAULT_SERVICE_NAME = "fulcrum";

/** A bare origin ("http://collector:4318") gets OTLP/HTTP's default traces path; any other path is used as given. */
export function otlpTracesUrl(endpoint: string): string {
  const u = new URL(endpoint);
  if (u.pathname === "" || u.pathname === "/") u.pathname = "/v1/traces";
  return u.toString();
}

/** The listener's tracing, or undefined when it has none. */
export function listenerTracing(l: Listener): SnapshotTracing | undefined {
  const t = l.tracing;
  if (!t) return undefined;
  return {
    sampleRate: t.sample_rate,
    ...(t.otlp_endpoint !== undefined ? { otlpEndpoint: otlpTracesUrl(t.otlp_endpoint) } : {}),
    serviceName: t.service_name ?? DEFAULT_SERVICE_NAME,
  };
}

/** A route's tracing: the listener's, its sample rate replaced by the route's own when it has one. */
export function routeTracing(route: Route, onListener: SnapshotTracing | undefined): SnapshotTracing | undefined {
  const own = route.tracing;
  if (!own) return onListener;
  return { ...(onListener ?? { serviceName: DEFAULT_SERVICE_NAME }), sampleRate: own.sample_rate };
}
