/**
 * A client certificate as the L7 policy uses it, read once per connection: its subject (RFC 4514,
 * as OpenSSL's RFC 2253 printing and Envoy show it), SANs, SHA-256, the x-forwarded-client-cert
 * line sent upstream (Envoy's element: By, Hash, Subject, URI, DNS), and route matching on it.
 */
import type { X509Certificate } from "node:crypto";
import type { SnapshotClientCertMatch } from "../../config/index.ts";
import type { TlsPeer } from "../../l7/index.ts";
import { formatIp, parseIp } from "../../net/index.ts";

/** One subjectAltName entry; `lower` is the value lower-cased (DNS names compare without case). */
export interface SanEntry {
  readonly kind: "DNS" | "URI" | "email" | "IP";
  readonly value: string;
  readonly lower: string;
}

/** What the policy knows of a connection's client certificate. */
export interface ClientCertIdentity {
  /** It verified against the listener's CA (otherwise only `verifyError` is used: the client is refused). */
  readonly verified: boolean;
  readonly verifyError: string | undefined;
  readonly subject: string;
  readonly sans: readonly SanEntry[];
  /** SHA-256 of the DER certificate, lower-case hex (x-forwarded-client-cert's Hash). */
  readonly sha256: string;
  /** The field line for the backend, CRLF included. */
  readonly xfccLine: string;
}

const SAN_KINDS: Readonly<Record<string, SanEntry["kind"]>> = { DNS: "DNS", URI: "URI", email: "email", "IP Address": "IP" };

/** The certificate of `peer`, or null when the client sent none (or the connection is not TLS). */
export function clientCertIdentity(peer: TlsPeer | null): ClientCertIdentity | null {
  const cert = peer?.cert;
  if (!peer || !cert) return null;
  const subject = rfc4514(cert.subject);
  const sans = parseSans(cert.subjectAltName ?? "");
  const sha256 = cert.fingerprint256.replaceAll(":", "").toLowerCase();
  return { verified: peer.authorized, verifyError: peer.verifyError, subject, sans, sha256, xfccLine: xfccLine(peer.local, sha256, subject, sans) };
}

/**
 * node prints a name one RDN a line in certificate order ("CN=a\nO=b", members of a multi-valued
 * RDN joined by " + ", specials already escaped as RFC 2253 says); RFC 4514 text runs the other
 * way, most specific first: "O=b,CN=a".
 */
function rfc4514(nodeName: string): string {
  return nodeName.split("\n").filter((l) => l !== "").reverse().map((rdn) => rdn.split(" + ").reverse().join("+")).join(",");
}

/** node's subjectAltName text: "DNS:a.test, URI:spiffe://x, IP Address:10.0.0.1" (a value with ", " is JSON-quoted). */
export function parseSans(text: string): SanEntry[] {
  const out: SanEntry[] = [];
  let i = 0;
  while (i < text.length) {
    const colon = text.indexOf(":", i);
    if (colon < 0) break;
    const kind = text.slice(i, colon);
    let value: string;
    let next: number;
    if (text[colon + 1] === '"') {
      const close = closingQuote(text, colon + 2);
      value = JSON.parse(text.slice(colon + 1, close + 1)) as string;
      next = text.indexOf(", ", close);
    } else {
      next = text.indexOf(", ", colon);
      value = text.slice(colon + 1, next < 0 ? text.length : next);
    }
    const k = SAN_KINDS[kind];
    if (k === "IP") value = canonicalIp(value);
    if (k !== undefined) out.push({ kind: k, value, lower: value.toLowerCase() });
    if (next < 0) break;
    i = next + 2;
  }
  return out;
}

function closingQuote(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j;
  }
  return text.length - 1;
}

/** node prints IPv6 SANs in full ("0:0:0:0:0:0:0:1"): shown and matched as RFC 5952 text ("::1"). */
function canonicalIp(text: string): string {
  const b = parseIp(text);
  return b ? formatIp(b) : text;
}

/** Envoy's quoting: a value with `,`, `;` or `=` (or a quote) goes in double quotes, each `"` as `\"`. */
function xfccValue(v: string): string {
  return /[,;="]/.test(v) ? quoted(v) : v;
}

function quoted(v: string): string {
  return `"${v.replaceAll('"', '\\"')}"`;
}

function xfccLine(local: X509Certificate | undefined, sha256: string, subject: string, sans: readonly SanEntry[]): string {
  const by = local ? parseSans(local.subjectAltName ?? "").find((s) => s.kind === "URI") : undefined;
  let s = by ? `By=${xfccValue(by.value)};` : "";
  s += `Hash=${sha256};Subject=${quoted(subject)}`;
  for (const e of sans) if (e.kind === "URI") s += `;URI=${xfccValue(e.value)}`;
  for (const e of sans) if (e.kind === "DNS") s += `;DNS=${xfccValue(e.value)}`;
  return `x-forwarded-client-cert: ${s}\r\n`;
}

/** True when the verified certificate `id` carries what `m` asks for. */
export function clientCertMatches(m: SnapshotClientCertMatch, id: ClientCertIdentity | null): boolean {
  if (id === null || !id.verified) return false;
  if (m.subject !== undefined && m.subject !== id.subject) return false;
  if (m.san === undefined) return true;
  for (const p of m.san) {
    for (const e of id.sans) {
      const have = e.kind === "DNS" ? e.lower : e.value;
      const want = e.kind === "DNS" ? p.lower : p.value;
      if (p.prefix ? have.startsWith(want) : have === want) return true;
    }
  }
  return false;
}

const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_UNTRUSTED", "CERT_SIGNATURE_FAILURE",
]);

/**
 * Why a client certificate was refused, as the metric's `reason` label: missing, expired,
 * untrusted (not from the CA) or invalid (anything else). From the handshake's error (OpenSSL's
 * verify code, or for a client that sent none, PEER_DID_NOT_RETURN_A_CERTIFICATE in the message);
 * undefined when the handshake failed for another reason than the certificate.
 */
export function certRefusalReason(code: string | undefined, message = ""): string | undefined {
  if (code === undefined) return undefined;
  if (code === "EPROTO" || code.startsWith("ERR_")) return message.includes("PEER_DID_NOT_RETURN_A_CERTIFICATE") ? "missing" : undefined;
  if (code === "CERT_HAS_EXPIRED" || code === "CERT_NOT_YET_VALID") return "expired";
  return UNTRUSTED.has(code) ? "untrusted" : "invalid";
}
