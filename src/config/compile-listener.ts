/** Compiles one validated listener and its routes against the already compiled pools. */
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_HEADER_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_MAX_BODY_BYTES } from "./defaults.ts";
import { AccessList, CidrList, compileHostPattern, HostTable, parseCidr, parseHostPort } from "../net/index.ts";
import { throwIfAny } from "./problems.ts";
import { compileRouteRegex, type RouteRegex } from "./route-regex.ts";
import { listenerTracing, routeTracing } from "./compile-tracing.ts";
import { listenerCompress, routeCompress } from "./compile-compress.ts";
import type { Listener, Route } from "./schema.ts";
import { DEFAULT_ACCESS_LOG_FIELDS, type AccessLogField } from "./schema-access-log.ts";
import type {
  HeaderPair,
  SnapshotAccessLog,
  SnapshotCertificate,
  SnapshotClientCertMatch,
  SnapshotCompress,
  SnapshotHeaderOps,
  SnapshotListener,
  SnapshotPool,
  SnapshotRoute,
  SnapshotSniRule,
  SnapshotTracing,
} from "./snapshot.ts";

/** udp: most flows (unless max_connections says otherwise) and the idle time that makes a flow evictable. */
const DEFAULT_UDP_MAX_FLOWS = 65_536;
const DEFAULT_UDP_MIN_IDLE_MS = 1_000;
/** udp: a flow expires after 30 s without a datagram (nothing else says it ended, and each holds a socket). */
const DEFAULT_UDP_IDLE_TIMEOUT_MS = 30_000;

/** What a listener's references resolve against. */
export interface Resolved {
  pools: Readonly<Record<string, SnapshotPool>>;
  certificates: Readonly<Record<string, SnapshotCertificate>>;
  /** Every certificate's cert_pem, key or not (client_auth.ca names one as a CA bundle). */
  certPems: Readonly<Record<string, string>>;
}

/** Resolves a reference or throws CONFIG_INVALID at `path` (only reachable with an unvalidated doc). */
function lookup<T>(table: Readonly<Record<string, T>>, name: string, kind: string, path: string): T {
  const found = table[name];
  if (found === undefined) throwIfAny([{ path, message: `${kind} "${name}" does not exist` }]);
  return found as T;
}

/** Builds the SnapshotListener for `l` (at path `at`, e.g. "listeners[0]"). */
export function compileListener(l: Listener, at: string, r: Resolved): SnapshotListener {
  const hp = parseHostPort(l.address, true);
  if (typeof hp === "string") throwIfAny([{ path: `${at}.address`, message: hp }]);
  const { host, port } = hp as { host: string; port: number };
  const pool = l.pool === undefined ? undefined : lookup(r.pools, l.pool, "pool", `${at}.pool`);
  const sni = (l.sni ?? []).map((rule, k) => ({
    names: rule.names.map(compileHostPattern),
    pool: lookup(r.pools, rule.pool, "pool", `${at}.sni[${k}].pool`),
  }));
  const tracing = listenerTracing(l);
  const compress = listenerCompress(l.compress);
  return {
    name: l.name,
    protocol: l.protocol,
    address: l.address,
    host,
    port,
    ...(pool ? { pool } : {}),
    routes: l.routes.map((route, k) => compileRoute(route, pool, `${at}.routes[${k}]`, r, tracing, routeCompress(route.compress, l.compress, compress))),
    certificates: (l.tls?.certificates ?? []).map((c, k) =>
      lookup(r.certificates, c, "certificate", `${at}.tls.certificates[${k}]`),
    ),
    sni,
    ...(l.protocol === "tls_passthrough" ? { sniTable: sniTable(sni) } : {}),
    proxyProtocol: {
      acceptFrom: cidrs(l.proxy_protocol?.accept_from ?? [], `${at}.proxy_protocol.accept_from`),
      send: l.proxy_protocol?.send ?? "none",
    },
    trustedProxies: cidrs(l.trusted_proxies ?? [], `${at}.trusted_proxies`),
    ...(l.max_connections !== undefined ? { maxConnections: l.max_connections } : {}),
    idleTimeoutMs: l.idle_timeout_ms ?? (l.protocol === "udp" ? DEFAULT_UDP_IDLE_TIMEOUT_MS : DEFAULT_IDLE_TIMEOUT_MS),
    headerTimeoutMs: l.header_timeout_ms ?? DEFAULT_HEADER_TIMEOUT_MS,
    handshakeTimeoutMs: l.handshake_timeout_ms ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
    maxBodyBytes: l.max_body_bytes ?? DEFAULT_MAX_BODY_BYTES,
    mergeSlashes: l.merge_slashes ?? true,
    ...(l.rate_limit ? { rateLimit: rateLimit(l.rate_limit) } : {}),
    ...accessLog(l.access_log),
    alpn: l.protocol === "https" ? (l.alpn ?? ["h2", "http/1.1"]) : [],
    h2c: l.protocol === "http" ? (l.h2c ?? true) : false,
    ...(l.protocol === "udp" ? { udp: {
      maxFlows: l.udp?.max_flows ?? l.max_connections ?? DEFAULT_UDP_MAX_FLOWS,
      minIdleMs: l.udp?.min_idle_ms ?? DEFAULT_UDP_MIN_IDLE_MS,
    } } : {}),
    ...(l.access ? { access: accessList(l.access, `${at}.access`) } : {}),
    ...(l.max_connections_per_client !== undefined ? { maxConnectionsPerClient: l.max_connections_per_client } : {}),
    ...(l.client_auth ? { clientAuth: {
      caPem: l.client_auth.ca_pem ?? lookup(r.certPems, l.client_auth.ca!, "certificate", `${at}.client_auth.ca`),
      mode: l.client_auth.mode,
    } } : {}),
    ...(tracing ? { tracing } : {}),
    ...(compress ? { compress } : {}),
  };
}

/** The access log a listener's `access_log` asks for (nothing for "off" or none). */
function accessLog(a: Listener["access_log"]): { accessLog?: SnapshotAccessLog } {
  if (a === undefined) return {};
  const spec = typeof a === "string" ? { path: a } : a;
  if (spec.path === "off") return {};
  // validated: every name is one of ACCESS_LOG_FIELDS
  const fields = (spec.fields as AccessLogField[] | undefined) ?? DEFAULT_ACCESS_LOG_FIELDS;
  return { accessLog: { path: spec.path, format: spec.format ?? "json", fields } };
}

function compileRoute(
  route: Route, fallback: SnapshotPool | undefined, at: string, r: Resolved, onListener: SnapshotTracing | undefined, compress: SnapshotCompress | undefined,
): SnapshotRoute {
  const m = route.match ?? {};
  const tracing = routeTracing(route, onListener);
  const pool = route.pool !== undefined ? lookup(r.pools, route.pool, "pool", `${at}.pool`) : route.redirect ? undefined : fallback;
  return {
    name: route.name,
    match: {
      ...(m.host !== undefined ? { host: compileHostPattern(m.host) } : {}),
      ...(m.path !== undefined ? { path: m.path } : {}),
      ...(m.path_prefix !== undefined ? { pathPrefix: m.path_prefix } : {}),
      ...(m.path_regex !== undefined ? { pathRegex: routeRegex(m.path_regex, `${at}.match.path_regex`) } : {}),
      ...(m.methods !== undefined ? { methods: m.methods } : {}),
      headers: pairs(m.headers, true),
      query: pairs(m.query, false),
      ...(m.client_cert ? { clientCert: clientCertMatch(m.client_cert) } : {}),
    },
    ...(pool ? { pool } : {}),
    ...(route.redirect ? { redirect: route.redirect } : {}),
    ...(route.rewrite?.path_prefix !== undefined ? { rewrite: { pathPrefix: route.rewrite.path_prefix } } : {}),
    ...(route.rewrite?.host !== undefined ? { hostRewrite: route.rewrite.host } : {}),
    ...(route.upgrade !== undefined ? { upgrade: route.upgrade.map((p) => p.toLowerCase()) } : {}),
    retries: {
      attempts: route.retries?.attempts ?? 0,
      on: route.retries?.on ?? [],
      nonIdempotent: route.retries?.non_idempotent ?? false,
    },
    ...(route.timeout_ms !== undefined ? { timeoutMs: route.timeout_ms } : {}),
    ...(route.request_timeout_ms !== undefined ? { requestTimeoutMs: route.request_timeout_ms } : {}),
    ...(route.connect_timeout_ms !== undefined ? { connectTimeoutMs: route.connect_timeout_ms } : {}),
    ...(route.idle_timeout_ms !== undefined ? { idleTimeoutMs: route.idle_timeout_ms } : {}),
    ...(route.rate_limit ? { rateLimit: rateLimit(route.rate_limit) } : {}),
    ...(route.request_headers ? { requestHeaders: headerOps(route.request_headers) } : {}),
    ...(route.response_headers ? { responseHeaders: headerOps(route.response_headers) } : {}),
    ...(route.access ? { access: accessList(route.access, `${at}.access`) } : {}),
    ...(tracing ? { tracing } : {}),
    ...(compress ? { compress } : {}),
  };
}

function clientCertMatch(m: NonNullable<NonNullable<Route["match"]>["client_cert"]>): SnapshotClientCertMatch {
  const san = m.san?.map((text) => {
    const prefix = text.endsWith("*");
    const value = prefix ? text.slice(0, -1) : text;
    return { value, lower: value.toLowerCase(), prefix };
  });
  return {
    ...(san ? { san } : {}),
    ...(m.subject !== undefined ? { subject: m.subject } : {}),
  };
}

function accessList(a: { allow?: string[]; deny?: string[] }, at: string): AccessList {
  if (a.allow) cidrs(a.allow, `${at}.allow`);
  return new AccessList(a.allow, cidrs(a.deny ?? [], `${at}.deny`).texts);
}

function rateLimit(r: { rps: number; burst?: number }): { rps: number; burst: number } {
  return { rps: r.rps, burst: r.burst ?? Math.max(1, Math.ceil(r.rps)) };
}

function pairs(map: Record<string, string> | undefined, lowerNames: boolean): HeaderPair[] {
  return Object.entries(map ?? {}).map(([name, value]) => ({ name: lowerNames ? name.toLowerCase() : name, value }));
}

function headerOps(ops: NonNullable<Route["request_headers"]>): SnapshotHeaderOps {
  return {
    set: pairs(ops.set, true),
    add: pairs(ops.add, true),
    remove: (ops.remove ?? []).map((n) => n.toLowerCase()),
  };
}

function routeRegex(source: string, at: string): RouteRegex {
  const r = compileRouteRegex(source);
  if (typeof r === "string") throwIfAny([{ path: at, message: r }]);
  return r as RouteRegex;
}

/** The list compiled once for the snapshot; a bad entry (only with an unvalidated doc) throws at its path. */
function cidrs(list: readonly string[], at: string): CidrList {
  list.forEach((s, k) => {
    const c = parseCidr(s);
    if (typeof c === "string") throwIfAny([{ path: `${at}[${k}]`, message: c }]);
  });
  return new CidrList(list);
}

/** The first rule naming a pattern keeps it (validation refuses a name listed twice). */
export function sniTable(rules: readonly SnapshotSniRule[]): HostTable<SnapshotPool> {
  const t = new HostTable<SnapshotPool>();
  for (const rule of rules) for (const name of rule.names) t.add(name, rule.pool);
  return t;
}
