/**
 * Cross-field and cross-resource checks for listeners and their routes: references resolve, each
 * protocol gets only the parts it uses, and two listeners do not bind the same address.
 */
import { compileHostPattern, normalizePath, parseHostPort } from "../net/index.ts";
import { checkCaBundle } from "./certificates.ts";
import type { Problem } from "./problems.ts";
import type { ConfigDoc, Listener, Route } from "./schema.ts";

/** Appends a problem for each later name that repeats an earlier one. */
export function checkUnique(names: readonly string[], kind: string, at: (i: number) => string, out: Problem[]): void {
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else out.push({ path: at(i), message: `duplicate ${kind} "${name}" (first at index ${first})` });
  });
}

/** Names that exist for references beyond the document's valid resources (see validate.ts). */
export interface KnownNames {
  pools: Set<string>;
  certificates: Set<string>;
}

/** Checks every listener of a schema-valid document; appends to `out`. */
export function checkListeners(doc: ConfigDoc, out: Problem[], known?: KnownNames): void {
  const pools = new Set([...doc.pools.filter(Boolean).map((p) => p.name), ...(known?.pools ?? [])]);
  const certs = new Set([...doc.certificates.filter(Boolean).map((c) => c.name), ...(known?.certificates ?? [])]);
  // pools only the HTTP engine can use: upstream TLS, or HTTP/2 to the backends
  const l7Only = new Map<string, string>();
  for (const p of doc.pools) {
    if (p?.tls !== undefined) l7Only.set(p.name, "has tls: upstream TLS");
    else if (p?.protocol === "h2" || p?.protocol === "h2c") l7Only.set(p.name, `speaks ${p.protocol}: a pool's protocol`);
  }
  checkUnique(doc.listeners.map((l) => l.name), "listener name", (i) => `listeners[${i}].name`, out);
  checkBinds(doc.listeners, out);
  doc.listeners.forEach((l, i) => {
    const at = `listeners[${i}]`;
    if (l.pool !== undefined && !pools.has(l.pool)) out.push({ path: `${at}.pool`, message: `pool "${l.pool}" does not exist` });
    checkProtocol(l, at, out);
    l.tls?.certificates.forEach((name, k) => {
      if (!certs.has(name)) out.push({ path: `${at}.tls.certificates[${k}]`, message: `certificate "${name}" does not exist` });
    });
    checkSni(l, at, pools, out);
    checkUpstreamTls(l, at, l7Only, out);
    checkClientAuth(l, at, certs, out);
    checkUnique(l.routes.map((r) => r.name), "route name", (k) => `${at}.routes[${k}].name`, out);
    l.routes.forEach((r, k) => checkRoute(r, l, `${at}.routes[${k}]`, pools, out));
  });
}

function checkProtocol(l: Listener, at: string, out: Problem[]): void {
  const p = l.protocol;
  const http = p === "http" || p === "https";
  if ((p === "tcp" || p === "udp") && l.pool === undefined) out.push({ path: `${at}.pool`, message: `required for a ${p} listener` });
  if (p === "tls_passthrough" && l.pool === undefined && (l.sni ?? []).length === 0)
    out.push({ path: `${at}.pool`, message: "a tls_passthrough listener needs a pool or sni rules" });
  if (http && l.pool === undefined && l.routes.length === 0)
    out.push({ path: `${at}.pool`, message: `an ${p} listener needs a pool or routes` });
  if (!http && l.routes.length > 0) out.push({ path: `${at}.routes`, message: "only http and https listeners have routes" });
  if (p === "https" && l.tls === undefined) out.push({ path: `${at}.tls`, message: "required for an https listener (tls.certificates)" });
  if (p !== "https" && l.tls !== undefined)
    out.push({ path: `${at}.tls`, message: "only https listeners terminate TLS (tls_passthrough forwards it untouched)" });
  if (p !== "tls_passthrough" && l.sni !== undefined) out.push({ path: `${at}.sni`, message: "only tls_passthrough listeners have sni rules" });
  // Refused rather than silently ignored: nothing in the UDP relay reads or writes PROXY headers,
  // and a keep-alive upstream connection of the HTTP engine carries many clients (X-Forwarded-For does that job).
  if (p === "udp" && (l.proxy_protocol?.send ?? "none") !== "none") out.push({ path: `${at}.proxy_protocol.send`, message: "udp listeners do not send PROXY headers" });
  if (p === "udp" && (l.proxy_protocol?.accept_from ?? []).length > 0) out.push({ path: `${at}.proxy_protocol.accept_from`, message: "udp listeners do not accept PROXY headers" });
  if (http && (l.proxy_protocol?.send ?? "none") !== "none")
    out.push({ path: `${at}.proxy_protocol.send`, message: "http(s) listeners tell backends the client with X-Forwarded-For and Forwarded; PROXY send is for tcp and tls_passthrough" });
  if (!http && l.rate_limit !== undefined) out.push({ path: `${at}.rate_limit`, message: "only for http and https listeners (limit L4 listeners with max_connections)" });
  if (!http && l.max_body_bytes !== undefined) out.push({ path: `${at}.max_body_bytes`, message: "only for http and https listeners" });
  if (!http && l.merge_slashes !== undefined) out.push({ path: `${at}.merge_slashes`, message: "only for http and https listeners" });
  if (!http && l.header_timeout_ms !== undefined) out.push({ path: `${at}.header_timeout_ms`, message: "only for http and https listeners" });
  const proxied = (l.proxy_protocol?.accept_from ?? []).length > 0;
  if (l.handshake_timeout_ms !== undefined && !(p === "https" || p === "tls_passthrough" || (p === "tcp" && proxied)))
    out.push({ path: `${at}.handshake_timeout_ms`, message: "only for https and tls_passthrough listeners, and tcp listeners with proxy_protocol.accept_from" });
  if (p !== "udp" && l.udp !== undefined) out.push({ path: `${at}.udp`, message: "only for udp listeners" });
  if (p !== "https" && l.alpn !== undefined) out.push({ path: `${at}.alpn`, message: "only for https listeners (http ones take h2c by prior knowledge: h2c)" });
  if (l.alpn !== undefined && new Set(l.alpn).size !== l.alpn.length) out.push({ path: `${at}.alpn`, message: "names a protocol twice" });
  if (p !== "http" && l.h2c !== undefined) out.push({ path: `${at}.h2c`, message: "only for http listeners (https ones offer h2 by ALPN: alpn)" });
  if (!http && l.tracing !== undefined) out.push({ path: `${at}.tracing`, message: "only for http and https listeners (trace context travels in HTTP headers)" });
  if (!http && l.compress !== undefined) out.push({ path: `${at}.compress`, message: "only for http and https listeners (an L4 listener relays bytes as they are)" });
}

/** A pool's upstream TLS is spoken by the HTTP engine; L4 listeners relay bytes as they are. */
function checkUpstreamTls(l: Listener, at: string, l7Only: Map<string, string>, out: Problem[]): void {
  if (l.protocol === "http" || l.protocol === "https") return;
  const refs: [string, string | undefined][] = [[`${at}.pool`, l.pool], ...(l.sni ?? []).map((r, k): [string, string] => [`${at}.sni[${k}].pool`, r.pool])];
  for (const [path, name] of refs) {
    const why = name === undefined ? undefined : l7Only.get(name);
    if (why !== undefined) {
      out.push({ path, message: `pool "${name}" ${why} is for http and https listeners (a ${l.protocol} listener relays bytes as they are)` });
    }
  }
}

function checkSni(l: Listener, at: string, pools: Set<string>, out: Problem[]): void {
  const owner = new Map<string, number>();
  l.sni?.forEach((rule, k) => {
    if (!pools.has(rule.pool)) out.push({ path: `${at}.sni[${k}].pool`, message: `pool "${rule.pool}" does not exist` });
    rule.names.forEach((name, m) => {
      const key = compileHostPattern(name).pattern;
      const first = owner.get(key);
      if (first === undefined) owner.set(key, k);
      else out.push({ path: `${at}.sni[${k}].names[${m}]`, message: `"${name}" is already matched by sni[${first}]` });
    });
  });
}

/** client_auth: https only, and its CA exists (a name) or parses (a PEM bundle). */
function checkClientAuth(l: Listener, at: string, certs: Set<string>, out: Problem[]): void {
  const ca = l.client_auth;
  if (ca === undefined) return;
  if (l.protocol !== "https") {
    out.push({ path: `${at}.client_auth`, message: "only https listeners verify client certificates (tls_passthrough forwards the handshake untouched)" });
    return;
  }
  if (ca.ca !== undefined && !certs.has(ca.ca)) out.push({ path: `${at}.client_auth.ca`, message: `certificate "${ca.ca}" does not exist` });
  if (ca.ca_pem !== undefined) checkCaBundle(ca.ca_pem, `${at}.client_auth.ca_pem`, out);
}

function checkRoute(r: Route, l: Listener, at: string, pools: Set<string>, out: Problem[]): void {
  if (r.pool !== undefined && !pools.has(r.pool)) out.push({ path: `${at}.pool`, message: `pool "${r.pool}" does not exist` });
  if (r.pool !== undefined && r.redirect !== undefined)
    out.push({ path: `${at}.redirect`, message: "a route has a pool or a redirect, not both" });
  if (r.pool === undefined && r.redirect === undefined && l.pool === undefined)
    out.push({ path: `${at}.pool`, message: "required: neither a redirect nor a default pool on the listener" });
  const to = r.redirect;
  if (to && to.scheme === undefined && to.host === undefined && to.port === undefined)
    out.push({ path: `${at}.redirect`, message: "needs a scheme, host or port (else it redirects to itself)" });
  if (r.redirect !== undefined && (r.rewrite !== undefined || r.retries !== undefined || r.upgrade !== undefined || r.tracing !== undefined))
    out.push({ path: `${at}.redirect`, message: "a redirect route does not proxy: drop rewrite, retries, upgrade and tracing" });
  const m = r.match;
  if (m && [m.path, m.path_prefix, m.path_regex].filter((x) => x !== undefined).length > 1)
    out.push({ path: `${at}.match`, message: "use one of path, path_prefix, path_regex" });
  for (const key of ["path", "path_prefix"] as const) {
    const p = m?.[key];
    if (p === undefined) continue;
    // Requests are matched in normal form: a path written otherwise could never match.
    const n = normalizePath(p, l.merge_slashes ?? true);
    if (typeof n !== "string") out.push({ path: `${at}.match.${key}`, message: `requests with this path are refused (${n.problem})` });
    else if (n !== p) out.push({ path: `${at}.match.${key}`, message: `requests are matched in normal form: write "${n}"` });
  }
  if (m?.client_cert !== undefined && l.client_auth === undefined)
    out.push({ path: `${at}.match.client_cert`, message: "needs client_auth on the listener: without it no client certificate is asked for" });
  if (r.rewrite?.path_prefix !== undefined && m?.path_prefix === undefined && m?.path === undefined)
    out.push({ path: `${at}.rewrite.path_prefix`, message: "rewrite.path_prefix replaces match.path_prefix (or match.path): add one" });
}

/** Two listeners on the same address and transport would fail to bind; port 0 always differs. */
function checkBinds(listeners: readonly Listener[], out: Problem[]): void {
  const seen = new Map<string, number>();
  listeners.forEach((l, i) => {
    const hp = parseHostPort(l.address, true);
    if (typeof hp === "string" || hp.port === 0) return;
    const key = `${l.protocol === "udp" ? "udp" : "tcp"} ${hp.host.toLowerCase()} ${hp.port}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, i);
    else out.push({ path: `listeners[${i}].address`, message: `${l.address} is already bound by listeners[${first}]` });
  });
}
