/**
 * Route matching for http(s) listeners: the first route whose every given condition holds wins
 * (DESIGN.md). The request is read through a small view so matching never parses what no route
 * asks about: the query string is split only when a route matches on it. Paths are matched in
 * normal form (src/net's normalizePath), hosts as src/net's host patterns compare them.
 */
import type { SnapshotListener, SnapshotRoute, SnapshotRouteMatch } from "../../config/index.ts";
import type { RequestHead } from "../../l7/index.ts";
import { hostMatches, normalizePath, type PathRefusal } from "../../net/index.ts";
import { clientCertMatches, type ClientCertIdentity } from "./client-cert.ts";

/** What routing needs from a request. `host` is as hostOfAuthority gives it; `path` has no query. */
export interface RoutableRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** The raw query string without "?" ("" when none). */
  readonly query: string;
  header(lowerName: string): string | undefined;
  /** The connection's client certificate (absent or null: none, or the listener asks for none). */
  readonly cert?: ClientCertIdentity | null;
}

/** Where a request's path and query are kept (RequestState's fields). */
export interface TargetParts {
  /** The path as routed, in normal form ("/" for "*" and CONNECT). */
  path: string;
  /** The raw query without "?" ("" when none). */
  query: string;
  /** The upstream request needs path and query as the target: absolute-form or a path normalized. */
  targetChanged: boolean;
}

/**
 * Reads `req`'s target into `out`: path (normalized, see normalizePath) and query, splitting the
 * path off an absolute-form target's authority (req.pathStart). Returns the refusal when the
 * path cannot be normalized safely, else null. An already normal origin-form path costs one scan.
 */
export function readTarget(req: RequestHead, mergeSlashes: boolean, out: TargetParts): PathRefusal | null {
  const t = req.target;
  const from = req.pathStart;
  if (from < 0) {
    out.path = "/";
    out.query = "";
    out.targetChanged = false;
    return null;
  }
  const q = t.indexOf("?", from);
  const raw = q < 0 ? (from === 0 ? t : t.slice(from)) : t.slice(from, q);
  const path = normalizePath(raw === "" ? "/" : raw, mergeSlashes);
  if (typeof path !== "string") return path;
  out.path = path;
  out.query = q < 0 ? "" : t.slice(q + 1);
  out.targetChanged = from > 0 || path !== raw;
  return null;
}

/** The target to send upstream for parts that changed: path, then "?" and the query when there is one. */
export function originForm(parts: TargetParts): string {
  return parts.query === "" ? parts.path : `${parts.path}?${parts.query}`;
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
  // Indexed loops: these run for every route tried, and most routes have neither list.
  const headers = m.headers;
  for (let i = 0; i < headers.length; i++) if (r.header(headers[i]!.name) !== headers[i]!.value) return false;
  const query = m.query;
  for (let i = 0; i < query.length; i++) if (queryParam(r.query, query[i]!.name) !== query[i]!.value) return false;
  if (m.clientCert && !clientCertMatches(m.clientCert, r.cert ?? null)) return false;
  return true;
}

/** "/v1" matches "/v1", "/v1/", "/v1/x" but not "/v10" (a prefix ending in "/" matches as written). */
export function prefixMatches(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.length === prefix.length || path.charCodeAt(prefix.length) === 47;
}

/** The first matching route, or undefined (the caller falls back to the listener's pool). */
export function matchRoute(l: SnapshotListener, r: RoutableRequest): SnapshotRoute | undefined {
  const routes = l.routes;
  for (let i = 0; i < routes.length; i++) if (matches(routes[i]!.match, r)) return routes[i];
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
