/**
 * TLS termination settings of an https listener. The first certificate is the default, bound with
 * the listener; with several, each ClientHello's server name (SNI) picks the certificate that
 * covers it: an exact name first, then the longest `*.` wildcard, else the default (src/net's
 * HostTable, the matcher routes and tls_passthrough rules use too). A certificate covers the DNS
 * names of its subjectAltName, or its subject CN when it has none.
 * TLS 1.2 is the minimum and ALPN offers the listener's protocols (h2 and http/1.1 by default),
 * whichever certificate is picked. With client_auth, clients are asked for a certificate verified
 * against its CA (verifyOptions), whichever protocol ALPN settles on.
 */
import type { TLSOptions } from "bun";
import { constants, X509Certificate } from "node:crypto";
import { createSecureContext } from "node:tls";
import type { SnapshotCertificate, SnapshotClientAuth } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { HostTable, normalizeHostName } from "../../net/index.ts";

// TLS 1.0 and 1.1 refused.
const NO_OLD_TLS = constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1;

/** What startProxy takes: the bound TLS options, and the SNI picker when there is a choice. */
export interface ListenerTls {
  readonly tls: TLSOptions;
  /** Native context for a server name; undefined keeps the default. Absent for one certificate. */
  readonly sni?: (serverName: string) => unknown;
}

/** The DNS names certificate `pem` covers, lower-case: subjectAltName DNS entries, else the CN. */
export function certificateNames(pem: string): string[] {
  const x = new X509Certificate(pem);
  // node's format: "DNS:a.test, DNS:*.b.test, IP Address:127.0.0.1"
  const dns = (x.subjectAltName ?? "")
    .split(", ")
    .filter((e) => e.startsWith("DNS:"))
    .map((e) => normalizeHostName(e.slice(4)));
  if (dns.length > 0) return dns;
  const cn = /^CN=(.+)$/m.exec(x.subject)?.[1];
  return cn ? [normalizeHostName(cn)] : [];
}

/** Names → index of the certificate to serve; `names[i]` are those certificate i covers. A name covered twice goes to the first. */
export function certificateTable(names: readonly (readonly string[])[]): HostTable<number> {
  const t = new HostTable<number>();
  names.forEach((list, i) => {
    for (const n of list) t.add(n, i);
  });
  return t;
}

/** ALPN protocol names in wire format (each length-prefixed), as Bun.listen takes them (BUN-NOTES). */
export function alpnWire(names: readonly string[]): Buffer {
  return Buffer.concat(names.map((n) => Buffer.from(String.fromCharCode(n.length) + n, "latin1")));
}

/** With client_auth, every context (the SNI ones too: OpenSSL verifies with the picked one's store) holds the CA. */
function options(c: SnapshotCertificate, alpn: Buffer, auth: SnapshotClientAuth | undefined) {
  return { cert: c.certPem, key: c.keyPem, ALPNProtocols: alpn, secureOptions: NO_OLD_TLS, ...(auth ? { ca: auth.caPem } : {}) };
}

/**
 * mTLS, on the bound options only (the verify mode is the listener's, whichever context SNI
 * picks): `require` leaves the refusal to the TLS layer (no certificate: the handshake fails with
 * a certificate_required alert; an invalid one: closed before any HTTP byte), `optional` lets
 * every handshake finish and the L7 policy refuses an invalid certificate with a 403.
 */
function verifyOptions(auth: SnapshotClientAuth | undefined) {
  return auth ? { requestCert: true, rejectUnauthorized: auth.mode === "require" } : {};
}

/**
 * The TLS settings for certificates `certs` (the first is the default), ALPN protocols `alpn` and
 * client certificates `auth`. One certificate stays on Bun's plain TLS path, no SNI hook. Throws
 * LbError CONFIG_INVALID when there is none or one cannot be loaded.
 */
export function listenerTls(
  listener: string, certs: readonly SnapshotCertificate[], alpn: readonly string[] = ["h2", "http/1.1"], auth?: SnapshotClientAuth,
): ListenerTls {
  const first = certs[0];
  if (!first) throw new LbError("CONFIG_INVALID", `listener ${listener}: https needs a certificate`);
  const wire = alpnWire(alpn);
  const tls = { ...options(first, wire, auth), ...verifyOptions(auth) } as TLSOptions;
  if (certs.length === 1) return { tls };
  const index = certificateTable(certs.map((c) => certificateNames(c.certPem)));
  // Index 0 maps to undefined: the bound default context serves it, no context switch.
  const contexts: unknown[] = certs.map((c, i) => {
    if (i === 0) return undefined;
    try {
      return createSecureContext(options(c, wire, auth)).context;
    } catch (e) {
      throw new LbError("CONFIG_INVALID", `listener ${listener}: certificate ${c.name} cannot be loaded: ${(e as Error).message}`, { cause: e });
    }
  });
  return { tls, sni: (name) => contexts[index.lookup(name) ?? 0] };
}
