/**
 * What a hashing pool hashes on: parsing the config strings, and extracting the key from a request
 * on the data plane. An empty value counts as absent (HAProxy: a header "absent or without any
 * value" falls back to round robin), so clients without the key spread instead of piling onto the
 * backend that owns the hash of "".
 */
import { LbError } from "../errors.ts";
import type { HashOn } from "./selector.ts";

// RFC 9110 §5.6.2 token: header and cookie names.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parses "source_ip" | "header:NAME" | "cookie:NAME" | "query:NAME" | "five_tuple"; throws CONFIG_INVALID otherwise. Header names are lower-cased. */
export function parseHashOn(s: string): HashOn {
  if (s === "source_ip") return { kind: "source_ip" };
  if (s === "five_tuple") return { kind: "five_tuple" };
  const colon = typeof s === "string" ? s.indexOf(":") : -1;
  if (colon > 0) {
    const kind = s.slice(0, colon);
    const name = s.slice(colon + 1);
    if (kind === "header" && TOKEN.test(name)) return { kind, name: name.toLowerCase() };
    if (kind === "cookie" && TOKEN.test(name)) return { kind, name };
    if (kind === "query" && name.length > 0 && !/[&=#\s]/.test(name)) return { kind, name };
  }
  throw new LbError(
    "CONFIG_INVALID",
    `hash_on must be source_ip, header:NAME, cookie:NAME, query:NAME or five_tuple, got ${JSON.stringify(s)}`,
  );
}

/** The config string for a HashOn (inverse of parseHashOn, for export and the admin API). */
export function formatHashOn(h: HashOn): string {
  return h.kind === "source_ip" || h.kind === "five_tuple" ? h.kind : `${h.kind}:${h.name}`;
}

/** The request view extractHashKey reads. */
export interface HashKeySource {
  clientIp: string;
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  query(name: string): string | undefined;
}

/**
 * The key an L7 request hashes on, or undefined when it has none (the selector then picks at
 * random). `five_tuple` is an L4 notion: L4 passes its flow hash as `PickContext.hash`, so here it
 * yields undefined.
 */
export function extractHashKey(hashOn: HashOn, req: HashKeySource): string | undefined {
  let v: string | undefined;
  switch (hashOn.kind) {
    case "source_ip":
      v = req.clientIp;
      break;
    case "header":
      v = req.header(hashOn.name);
      break;
    case "cookie":
      v = req.cookie(hashOn.name);
      break;
    case "query":
      v = req.query(hashOn.name);
      break;
    case "five_tuple":
      return undefined;
  }
  return v === undefined || v.length === 0 ? undefined : v;
}
