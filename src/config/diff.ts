/**
 * diffConfig: what changed between two documents, as lines an operator reads ("pool app: backend
 * 10.0.0.2:80 added"). Secrets and PEM bodies are never printed, only named as changed.
 */
import { sameDoc } from "./canonical.ts";
import type { ConfigDoc, Listener, Pool } from "./schema.ts";

/** Fields whose values are never printed. */
const SECRET = new Set(["secret", "cert_pem", "key_pem"]);
/** Longer values are summarised as "changed". */
const MAX_SHOWN = 60;

/**
 * Lines describing how `b` differs from `a` (listeners, then pools, then certificates); [] when
 * equal. A certificate without key_pem on one side means "key unchanged" (key_pem is write-only).
 */
export function diffConfig(a: ConfigDoc, b: ConfigDoc): string[] {
  const out: string[] = [];
  diffNamed(a.listeners, b.listeners, (l) => l.name, "listener", out, diffListener);
  diffNamed(a.pools, b.pools, (p) => p.name, "pool", out, diffPool);
  diffNamed(a.certificates, b.certificates, (c) => c.name, "certificate", out, (x, y, at, o) => {
    const skip = x.key_pem === undefined || y.key_pem === undefined ? ["name", "key_pem"] : ["name"];
    diffFields(x, y, at, skip, o);
  });
  return out;
}

type Inner<T> = (a: T, b: T, at: string, out: string[]) => void;

function diffNamed<T>(a: readonly T[], b: readonly T[], key: (t: T) => string, kind: string, out: string[], inner: Inner<T>): void {
  const before = new Map(a.map((x) => [key(x), x]));
  const after = new Map(b.map((x) => [key(x), x]));
  for (const [k] of before) if (!after.has(k)) out.push(`${kind} ${k} removed`);
  for (const [k, y] of after) {
    const x = before.get(k);
    if (x === undefined) out.push(`${kind} ${k} added`);
    else if (!sameDoc(x, y)) inner(x, y, `${kind} ${k}`, out);
  }
}

function diffListener(a: Listener, b: Listener, at: string, out: string[]): void {
  diffFields(a, b, at, ["name", "routes"], out);
  diffNamed(a.routes, b.routes, (r) => r.name, `${at}: route`, out, (x, y, rat, o) => diffFields(x, y, rat, ["name"], o));
  if (reordered(a.routes.map((r) => r.name), b.routes.map((r) => r.name))) out.push(`${at}: routes reordered`);
}

function diffPool(a: Pool, b: Pool, at: string, out: string[]): void {
  diffFields(a, b, at, ["name", "backends"], out);
  diffNamed(a.backends, b.backends, (x) => x.address, `${at}: backend`, out, (x, y, bat, o) =>
    diffFields(x, y, bat, ["address"], o),
  );
}

/** True when the names both lists share appear in a different order (first match wins for routes). */
function reordered(a: readonly string[], b: readonly string[]): boolean {
  const inB = new Set(b);
  const inA = new Set(a);
  const x = a.filter((n) => inB.has(n));
  const y = b.filter((n) => inA.has(n));
  return x.some((n, i) => n !== y[i]);
}

/** One line per top-level field that differs, except `skip`. */
function diffFields(a: object, b: object, at: string, skip: readonly string[], out: string[]): void {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => !skip.includes(k)).sort();
  for (const k of keys) {
    if (sameDoc(x[k], y[k])) continue;
    if (x[k] === undefined) out.push(`${at}: ${k} ${shown(k, y[k]) ? `set to ${fmt(y[k])}` : "added"}`);
    else if (y[k] === undefined) out.push(`${at}: ${k} removed`);
    else if (shown(k, x[k]) && shown(k, y[k])) out.push(`${at}: ${k} ${fmt(x[k])} -> ${fmt(y[k])}`);
    else out.push(`${at}: ${k} changed`);
  }
}

function shown(key: string, v: unknown): boolean {
  if (SECRET.has(key)) return false;
  if (v === null || typeof v === "object") return false;
  return String(v).length <= MAX_SHOWN;
}

function fmt(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}
