/**
 * SNI routing rules for `tls_passthrough` listeners: exact names and `*.example.com` wildcards map
 * to a target (a pool name, say); anything else falls to the default. Precedence follows Envoy's
 * server_names: an exact name wins, then the longest wildcard suffix, then the default. A
 * wildcard covers any depth below it (`*.example.com` matches a.example.com and a.b.example.com,
 * not example.com). Names compare case-insensitively, a trailing dot ignored.
 */
import { LbError } from "../errors.ts";

/** One rule: every name in `names` routes to `target`. */
export interface SniRule<T> {
  names: readonly string[];
  target: T;
}

const LABELS = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;

function normalize(name: string): string {
  const n = name.toLowerCase();
  return n.endsWith(".") ? n.slice(0, -1) : n;
}

/** Built once per snapshot; `match` is a Map lookup per label of the name. */
export class SniMatcher<T> {
  private readonly exact = new Map<string, T>();
  // Keyed by the suffix with its leading dot: "*.example.com" → ".example.com".
  private readonly wild = new Map<string, T>();

  /** Throws LbError CONFIG_INVALID on a bad name or one listed twice. */
  constructor(rules: readonly SniRule<T>[], private readonly fallback?: T) {
    for (const rule of rules) {
      for (const raw of rule.names) {
        const name = normalize(raw);
        const isWild = name.startsWith("*.");
        const body = isWild ? name.slice(2) : name;
        if (!LABELS.test(body) || body.length > 253) throw new LbError("CONFIG_INVALID", `bad SNI name "${raw}"`);
        const map = isWild ? this.wild : this.exact;
        const key = isWild ? `.${body}` : body;
        if (map.has(key)) throw new LbError("CONFIG_INVALID", `SNI name "${raw}" is listed twice`);
        map.set(key, rule.target);
      }
    }
  }

  /** The target for `sni` (undefined sni → the default); undefined when nothing matches. */
  match(sni: string | undefined): T | undefined {
    if (sni === undefined || sni === "") return this.fallback;
    const name = normalize(sni);
    const hit = this.exact.get(name);
    if (hit !== undefined) return hit;
    for (let dot = name.indexOf("."); dot >= 0; dot = name.indexOf(".", dot + 1)) {
      const w = this.wild.get(name.slice(dot));
      if (w !== undefined) return w;
    }
    return this.fallback;
  }
}
