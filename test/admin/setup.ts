/**
 * Shared setup for the admin API tests: an app over a fresh in-memory store, a request helper
 * that returns status, parsed body and headers, a small valid document, and real certificates
 * made by openssl at test time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hono } from "hono";
import { createAdminApp, type AdminOptions } from "../../src/admin/index.ts";
import { SnapshotHolder } from "../../src/config/index.ts";
import { Registry } from "../../src/obs/index.ts";
import { openStore, type Store } from "../../src/store/index.ts";

export interface TestApp {
  app: Hono;
  store: Store;
  holder: SnapshotHolder;
  metrics: Registry;
}

/** An admin app over a new in-memory store. */
export function makeApp(opts: Partial<Omit<AdminOptions, "store" | "holder">> = {}): TestApp {
  const store = openStore(":memory:");
  const holder = new SnapshotHolder();
  const metrics = opts.metrics ?? new Registry();
  return { app: createAdminApp({ store, holder, metrics, ...opts }), store, holder, metrics };
}

export interface Answer {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

/** Sends one request; objects are sent as JSON unless a content-type header says otherwise. */
export async function call(
  app: Hono,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const h: Record<string, string> = { ...headers };
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === "string" ? body : JSON.stringify(body);
    if (!Object.keys(h).some((k) => k.toLowerCase() === "content-type")) h["content-type"] = "application/json";
  }
  const res = await app.request(path, { method, headers: h, body: payload });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** A small valid document: an HTTP listener with a route, a round-robin pool and a Maglev pool. */
export function baseDoc(): any {
  return {
    listeners: [
      {
        name: "web",
        protocol: "http",
        address: "127.0.0.1:8080",
        pool: "app",
        routes: [{ name: "api", match: { path_prefix: "/v1" }, pool: "api" }],
      },
    ],
    pools: [
      { name: "app", algorithm: "round_robin", backends: [{ address: "10.0.0.1:80" }, { address: "10.0.0.2:80", weight: 2 }] },
      { name: "api", algorithm: "maglev", table_size: 251, backends: [{ address: "10.0.1.1:80" }, { address: "[::1]:8080" }] },
      { name: "spare", backends: [] },
    ],
    certificates: [],
  };
}

/** A self-signed P-256 certificate and its key, PEM, made by openssl in a temp dir. */
export function makeCert(cn = "x"): { cert_pem: string; key_pem: string } {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-cert-"));
  try {
    const r = Bun.spawnSync(
      ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", `/CN=${cn}`, "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
      { stdout: "ignore", stderr: "pipe" },
    );
    if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
    return { cert_pem: readFileSync(join(dir, "cert.pem"), "utf8"), key_pem: readFileSync(join(dir, "key.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
