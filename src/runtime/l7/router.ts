/**
 * Route matching for http(s) listeners: the first route whose every given condition holds wins
 * (DESIGN.md). The request is read through a small view so matching never parses what no route
 * asks about: the query string is split only when a route matches on it.
 */
import { hostMatches, type SnapshotListener, type SnapshotRoute, type SnapshotRouteMatch } from "../../config/index.ts";

/** What routing needs from a request. `host` is lower-case without the port; `path` has no query. */
export interface RoutableRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** The raw query string without "?" ("" when none). */
  readonly query: string;
  header(lowerName: string): string | undefined;
}

/** Splits a request-target into path and query (origin-form; absolute-form keeps its path). */
export function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  if (!t.startsWith("/")) {
    // absolute-form (RFC 9112 §3.2.2): route on its path.
    const scheme = t.indexOf("://");
    const slash = scheme < 0 ? -1 : t.indexOf("/", scheme + 3);
    t = slash < 0 ? "/" : t.slice(slash);
  }
  const q = t.indexOf("?");
  return q < 0 ? { path: t, query: "" } : { path: t.slice(0, q), query: t.slice(q + 1) };
}

/** Lower-case host without its port ("[::1]:80" → "[::1]"). */
export function hostOnly(hostField: string): string {
  const h = hostField.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

/** The value of query parameter `name` (first occurrence, percent-decoded), or undefined. */
export function queryParam(query: string, name: string): string | undefined {
  if (query === "") return undefined;
  for (const part of query.split("&")) {
    const eq = part.indexOf("=");
    const k = eq < 0 ? part : part.slice(0, eq);
    if (safeDecode(k) !== name) continue;
    return eq < 0 ? "" : safeDecode(part.slice(eq + 1));
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    // A malformed escape is matched as written rather than failing the request.
    return s;
  }
}

function matches(m: SnapshotRouteMatch, r: RoutableRequest): boolean {
  if (m.host && !hostMatches(m.host, r.host)) return false;
  if (m.path !== undefined && r.path !== m.path) return false;
  if (m.pathPrefix !== undefined && !prefixMatches(r.path, m.pathPrefix)) return false;
  if (m.pathRegex && !m.pathRegex.test(r.path)) return false;
  if (m.methods && !m.methods.includes(r.method)) return false;
  for (const h of m.headers) if (r.header(h.name) !== h.value) return false;
  for (const q of m.query) if (queryParam(r.query, q.name) !== q.value) return false;
  return true;
}

/** "/v1" matches "/v1", "/v1/", "/v1/x" but not "/v10" (a prefix ending in "/" matches as written). */
export function prefixMatches(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.length === prefix.length || path.charCodeAt(prefix.length) === 47;
}

/** The first matching route, or undefined (the caller falls back to the listener's pool). */
export function matchRoute(l: SnapshotListener, r: RoutableRequest): SnapshotRoute | undefined {
  for (const route of l.routes) if (matches(route.match, r)) return route;
  return undefined;
}

/** The upstream target after a route's prefix rewrite (query kept); undefined = unchanged. */
export function rewriteTarget(route: SnapshotRoute, path: string, query: string): string | undefined {
  if (!route.rewrite) return undefined;
  const from = route.match.pathPrefix ?? route.match.path;
  if (from === undefined || !path.startsWith(from)) return undefined;
  let rest = path.slice(from.length);
  let to = route.rewrite.pathPrefix;
  // Join with exactly one slash: "/" + "/x", "/api" + "x".
  if (to.endsWith("/") && rest.startsWith("/")) rest = rest.slice(1);
  else if (!to.endsWith("/") && rest !== "" && !rest.startsWith("/")) to += "/";
  const p = to + rest || "/";
  return query === "" ? p : `${p}?${query}`;
}
