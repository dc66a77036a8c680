/**
 * The five resource collections of the config document (DESIGN.md's admin table): where each
 * lives in the document, how one is named in the path, and what may still reference it.
 */
import { BackendSchema, CertificateSchema, ListenerSchema, PoolSchema, RouteSchema, type ConfigDoc } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import type { CollectionSpec, Item, Params } from "../collection-spec.ts";
import { BACKEND_EXAMPLES, CERTIFICATE_EXAMPLES, LISTENER_EXAMPLES, POOL_EXAMPLES, ROUTE_EXAMPLES } from "./examples.ts";

/** Resource names (the identifiers in paths): the config's own name schema. */
const NAME = ListenerSchema.shape.name;

type Doc = ConfigDoc & Record<string, unknown>;

function top(doc: ConfigDoc, field: "listeners" | "pools" | "certificates"): Item[] {
  const d = doc as Doc;
  if (!Array.isArray(d[field])) d[field] = [];
  return d[field] as unknown as Item[];
}

function parent(doc: ConfigDoc, field: "listeners" | "pools", name: string): Item {
  const found = top(doc, field).find((it) => it.name === name);
  if (!found) {
    const code = field === "listeners" ? "LISTENER_NOT_FOUND" : "POOL_NOT_FOUND";
    throw new LbError(code, `${field === "listeners" ? "listener" : "pool"} "${name}" not found`);
  }
  return found;
}

function nested(owner: Item, field: string, forWrite: boolean): Item[] {
  if (Array.isArray(owner[field])) return owner[field] as Item[];
  if (!forWrite) return [];
  owner[field] = [];
  return owner[field] as Item[];
}

/** Every place a pool can be referenced from, for 409 IN_USE. */
function poolReferrer(doc: ConfigDoc, pool: string): string | undefined {
  for (const l of top(doc, "listeners")) {
    if (l.pool === pool) return `listener "${String(l.name)}"`;
    for (const r of nested(l, "routes", false)) {
      if (r.pool === pool) return `route "${String(r.name)}" of listener "${String(l.name)}"`;
    }
    for (const rule of nested(l, "sni", false)) {
      if (rule.pool === pool) return `an SNI rule of listener "${String(l.name)}"`;
    }
  }
  return undefined;
}

function certificateReferrer(doc: ConfigDoc, cert: string): string | undefined {
  for (const l of top(doc, "listeners")) {
    const tls = l.tls as { certificates?: unknown } | undefined;
    if (Array.isArray(tls?.certificates) && tls.certificates.includes(cert)) return `listener "${String(l.name)}"`;
  }
  return undefined;
}

export const LISTENERS: CollectionSpec = {
  kind: "listener",
  plural: "listeners",
  path: "/v1/listeners",
  param: "name",
  key: "name",
  schema: ListenerSchema,
  keySchema: NAME,
  examples: LISTENER_EXAMPLES,
  description: "Where Fulcrum accepts traffic (http, https, tcp, udp, tls_passthrough), read back with its routes.",
  notFound: "LISTENER_NOT_FOUND",
  items: (doc) => top(doc, "listeners"),
};

export const ROUTES: CollectionSpec = {
  kind: "route",
  plural: "routes",
  path: "/v1/listeners/:listener/routes",
  param: "name",
  key: "name",
  schema: RouteSchema,
  keySchema: NAME,
  examples: ROUTE_EXAMPLES,
  description: "A rule of an http(s) listener, first match wins: where a request goes (a pool, or a redirect) and what changes on the way.",
  notFound: "ROUTE_NOT_FOUND",
  parent: { kind: "listener", param: "listener", plural: "listeners" },
  items: (doc, p: Params, forWrite) => nested(parent(doc, "listeners", p.listener), "routes", forWrite),
  where: (p) => ` in listener "${p.listener}"`,
};

export const POOLS: CollectionSpec = {
  kind: "pool",
  plural: "pools",
  path: "/v1/pools",
  param: "name",
  key: "name",
  schema: PoolSchema,
  keySchema: NAME,
  examples: POOL_EXAMPLES,
  description: "A named set of backends with a balancing algorithm, health checks and limits, read back with its backends.",
  notFound: "POOL_NOT_FOUND",
  items: (doc) => top(doc, "pools"),
  usedBy: (doc, item) => poolReferrer(doc, String(item.name)),
};

export const BACKENDS: CollectionSpec = {
  kind: "backend",
  plural: "backends",
  path: "/v1/pools/:pool/backends",
  param: "address",
  key: "address",
  schema: BackendSchema,
  keySchema: BackendSchema.shape.address,
  examples: BACKEND_EXAMPLES,
  description: "One address of a pool, with its weight and state (active, draining, disabled).",
  notFound: "BACKEND_NOT_FOUND",
  parent: { kind: "pool", param: "pool", plural: "pools" },
  items: (doc, p: Params, forWrite) => nested(parent(doc, "pools", p.pool), "backends", forWrite),
  where: (p) => ` in pool "${p.pool}"`,
};

export const CERTIFICATES: CollectionSpec = {
  kind: "certificate",
  plural: "certificates",
  path: "/v1/certificates",
  param: "name",
  key: "name",
  schema: CertificateSchema,
  keySchema: NAME,
  examples: CERTIFICATE_EXAMPLES,
  description: "A TLS certificate and its private key, PEM. key_pem is write-only: reads leave it out, and a write without it keeps the stored key.",
  notFound: "CERTIFICATE_NOT_FOUND",
  items: (doc) => top(doc, "certificates"),
  usedBy: (doc, item) => certificateReferrer(doc, String(item.name)),
};

/** All collections, in mounting order (nested paths have more segments, so order is free). */
export const COLLECTIONS: readonly CollectionSpec[] = [LISTENERS, ROUTES, POOLS, BACKENDS, CERTIFICATES];
