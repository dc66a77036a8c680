/**
 * What `fulcrum validate` warns about in a document that is valid but probably not what its author
 * meant (as `nginx -t` warns about a conflicting server name): a route that can never match, a pool
 * no listener uses, a pool with nothing to send traffic to, an https certificate about to expire.
 */
import { X509Certificate } from "node:crypto";
import type { ConfigDoc, Listener, Pool, Route } from "../config/index.ts";

/** One warning: where (the document path, as errors name it) and what. */
export interface ConfigWarning {
  path: string;
  message: string;
}

/** Certificates expiring within this many days are warned about (Let's Encrypt renews at 30). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** Every warning for a validated document, in document order. `nowMs` is the clock the expiry is judged by. */
export function configWarnings(doc: ConfigDoc, nowMs = Date.now()): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  doc.listeners.forEach((l, i) => shadowedRoutes(l, `listeners[${i}]`, out));
  const used = usedPools(doc);
  doc.pools.forEach((p, i) => poolWarnings(p, `pools[${i}]`, used, out));
  expiringCertificates(doc, nowMs, out);
  return out;
}

type Match = NonNullable<Route["match"]>;

/** A later route is unreachable when an earlier one matches every request it would (first match wins). */
function shadowedRoutes(l: Listener, at: string, out: ConfigWarning[]): void {
  l.routes.forEach((route, j) => {
    const earlier = l.routes.slice(0, j).find((e) => covers(e.match ?? {}, route.match ?? {}));
    if (!earlier) return;
    const why = isCatchAll(earlier.match ?? {}) ? `matches every request` : `matches every request route "${route.name}" would`;
    out.push({ path: `${at}.routes[${j}]`, message: `route "${route.name}" of listener "${l.name}" can never match: route "${earlier.name}" before it ${why} (first match wins)` });
  });
}

function isCatchAll(m: Match): boolean {
  return covers(m, {});
}

/** True when every request matching `b` also matches `a` (judged conservatively: unsure is false). */
function covers(a: Match, b: Match): boolean {
  if (a.host !== undefined && a.host.toLowerCase() !== b.host?.toLowerCase()) return false;
  if (a.path_regex !== undefined && a.path_regex !== b.path_regex) return false;
  if (a.path !== undefined && a.path !== b.path) return false;
  // A "/" prefix matches every path.
  if (a.path_prefix !== undefined && a.path_prefix !== "/") {
    const bPath = b.path ?? b.path_prefix;
    if (bPath === undefined || !prefixCovers(a.path_prefix, bPath)) return false;
  }
  if (a.methods !== undefined && (b.methods === undefined || !b.methods.every((m) => a.methods!.includes(m)))) return false;
  if (!subset(a.headers, b.headers, (k) => k.toLowerCase())) return false;
  if (a.client_cert !== undefined && JSON.stringify(a.client_cert) !== JSON.stringify(b.client_cert)) return false;
  return subset(a.query, b.query, (k) => k);
}

/** `prefix` matches whole segments ("/v1" covers "/v1" and "/v1/x", not "/v10"), as the router does. */
function prefixCovers(prefix: string, path: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.length === prefix.length || path[prefix.length] === "/";
}

/** Every name: value of `a` is also required by `b`. */
function subset(a: Record<string, string> | undefined, b: Record<string, string> | undefined, norm: (k: string) => string): boolean {
  if (a === undefined) return true;
  const bb = new Map(Object.entries(b ?? {}).map(([k, v]) => [norm(k), v]));
  return Object.entries(a).every(([k, v]) => bb.get(norm(k)) === v);
}

/** Pools a listener, a route or an SNI rule sends traffic to. */
function usedPools(doc: ConfigDoc): Set<string> {
  const used = new Set<string>();
  for (const l of doc.listeners) {
    if (l.pool !== undefined) used.add(l.pool);
    for (const r of l.routes) if (r.pool !== undefined) used.add(r.pool);
    for (const s of l.sni ?? []) used.add(s.pool);
  }
  return used;
}

function poolWarnings(p: Pool, at: string, used: Set<string>, out: ConfigWarning[]): void {
  if (!used.has(p.name)) out.push({ path: at, message: `pool "${p.name}" is used by no listener, route or SNI rule` });
  if (p.backends.length === 0) {
    out.push({ path: `${at}.backends`, message: `pool "${p.name}" has no backends: its requests get 503 NO_HEALTHY_BACKEND` });
  } else if (!p.backends.some((b) => b.state !== "disabled" && b.weight > 0)) {
    out.push({ path: `${at}.backends`, message: `pool "${p.name}" has no backend that can take traffic (each is disabled or has weight 0)` });
  }
}

function expiringCertificates(doc: ConfigDoc, nowMs: number, out: ConfigWarning[]): void {
  const byName = new Map(doc.certificates.map((c, i) => [c.name, { c, i }] as const));
  const warned = new Set<string>();
  for (const l of doc.listeners) {
    if (l.protocol !== "https") continue;
    for (const name of l.tls?.certificates ?? []) {
      const found = byName.get(name);
      if (!found || warned.has(name)) continue;
      const notAfter = notAfterMs(found.c.cert_pem);
      if (notAfter === undefined || notAfter - nowMs > EXPIRY_WARNING_DAYS * DAY_MS) continue;
      warned.add(name);
      const date = new Date(notAfter).toISOString().slice(0, 10);
      const days = Math.floor(Math.abs(notAfter - nowMs) / DAY_MS);
      const when = notAfter <= nowMs ? `expired on ${date} (${days} days ago)` : `expires on ${date} (in ${days} days)`;
      out.push({ path: `certificates[${found.i}]`, message: `certificate "${name}" of https listener "${l.name}" ${when}` });
    }
  }
}

function notAfterMs(pem: string): number | undefined {
  try {
    const t = Date.parse(new X509Certificate(pem).validTo);
    return Number.isNaN(t) ? undefined : t;
  } catch {
    // validateConfig already reported a certificate that does not parse.
    return undefined;
  }
}
