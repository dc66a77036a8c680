/**
 * The examples the description shows, kept together so they agree with one another: the item
 * operations name resources of EXAMPLE_CONFIG, creates name new ones, and every write example is
 * valid against EXAMPLE_CONFIG (test/admin/openapi-contract.test.ts sends them all to a node that
 * runs it). Certificates show PEM placeholders: a real key does not belong in a document.
 */

const CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n";
const KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMIGH...\n-----END PRIVATE KEY-----\n";

/** A small whole document: a listener with a route, three pools, a certificate. */
export const EXAMPLE_CONFIG = {
  listeners: [
    {
      name: "web",
      protocol: "http",
      address: "0.0.0.0:8080",
      pool: "app",
      routes: [{ name: "api", match: { path_prefix: "/api" }, pool: "api", retries: { attempts: 2, on: ["connect_failure", "503"] }, timeout_ms: 15000 }],
    },
  ],
  pools: [
    { name: "app", algorithm: "round_robin", backends: [{ address: "10.0.0.1:80" }, { address: "10.0.0.2:80", weight: 2 }] },
    { name: "api", algorithm: "maglev", hash_on: "header:x-user", backends: [{ address: "10.0.1.1:80" }, { address: "10.0.1.2:80" }] },
    { name: "canary", algorithm: "least_connections", backends: [{ address: "10.0.2.1:80" }] },
  ],
  certificates: [{ name: "site", cert_pem: CERT_PEM, key_pem: KEY_PEM }],
};

/** Per collection: an existing item's id, a new item, a replacement and a merge patch for the existing one. */
export interface CollectionExamples {
  /** Parent resource named in a nested collection's path. */
  parent?: string;
  id: string;
  create: Record<string, unknown>;
  replace: Record<string, unknown>;
  patch: Record<string, unknown>;
}

export const LISTENER_EXAMPLES: CollectionExamples = {
  id: "web",
  create: { name: "db", protocol: "tcp", address: "0.0.0.0:5432", pool: "canary" },
  replace: { protocol: "http", address: "0.0.0.0:8080", pool: "app", idle_timeout_ms: 60000 },
  patch: { idle_timeout_ms: 60000 },
};

export const ROUTE_EXAMPLES: CollectionExamples = {
  parent: "web",
  id: "api",
  create: { name: "static", match: { path_prefix: "/static" }, pool: "canary" },
  replace: { match: { path_prefix: "/api", methods: ["GET", "POST"] }, pool: "api", timeout_ms: 5000 },
  patch: { timeout_ms: 5000 },
};

export const POOL_EXAMPLES: CollectionExamples = {
  id: "canary",
  create: { name: "search", algorithm: "least_connections", backends: [{ address: "10.0.3.1:9200" }] },
  replace: { algorithm: "round_robin", backends: [{ address: "10.0.2.1:80" }, { address: "10.0.2.2:80" }] },
  patch: { algorithm: "random" },
};

export const BACKEND_EXAMPLES: CollectionExamples = {
  parent: "app",
  id: "10.0.0.1:80",
  create: { address: "10.0.0.3:80", weight: 1 },
  replace: { weight: 2, state: "active" },
  patch: { state: "draining" },
};

export const CERTIFICATE_EXAMPLES: CollectionExamples = {
  id: "site",
  create: { name: "www", cert_pem: CERT_PEM, key_pem: KEY_PEM },
  replace: { cert_pem: CERT_PEM, key_pem: KEY_PEM },
  patch: { cert_pem: CERT_PEM, key_pem: KEY_PEM },
};
