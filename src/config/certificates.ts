/**
 * Certificate checks: cert_pem is an X.509 certificate, key_pem a private key, and they belong
 * together. Run on the document as it will be stored, after write-only keys were merged back in.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { Problem } from "./problems.ts";
import type { Certificate, ConfigDoc } from "./schema.ts";

/**
 * Appends the problems of certificate `c` at `at` ("certificates[0]"). With `requireKey`, a
 * missing key_pem is one (a certificate the store does not have yet needs its key).
 */
export function checkCertificate(c: Certificate, at: string, requireKey: boolean, out: Problem[]): void {
  let cert: X509Certificate | undefined;
  try {
    cert = new X509Certificate(c.cert_pem);
  } catch (e) {
    out.push({ path: `${at}.cert_pem`, message: `not a PEM X.509 certificate (${(e as Error).message})` });
  }
  if (c.key_pem === undefined) {
    if (requireKey) out.push({ path: `${at}.key_pem`, message: "required for a new certificate" });
    return;
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(c.key_pem);
  } catch (e) {
    out.push({ path: `${at}.key_pem`, message: `not a PEM private key (${(e as Error).message})` });
    return;
  }
  if (cert && !cert.checkPrivateKey(key)) out.push({ path: `${at}.key_pem`, message: "does not match cert_pem" });
}

/**
 * Appends a problem at `at` unless `pem` is one or more PEM X.509 certificates (a pool's CA
 * bundle): a bad bundle is a 400 naming the field, not a TLS error on the first request.
 */
export function checkCaBundle(pem: string, at: string, out: Problem[]): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return void out.push({ path: at, message: "no complete PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)" });
  blocks.forEach((b, k) => {
    try {
      new X509Certificate(b);
    } catch (e) {
      out.push({ path: at, message: `certificate ${k + 1} of the bundle does not parse (${(e as Error).message})` });
    }
  });
}

/**
 * Names of the certificates used only as a CA bundle (some listener's client_auth.ca, and no
 * listener's tls.certificates): those need no key_pem. Keeping a CA's private key off the load
 * balancer is the point: only its certificate is needed to verify clients.
 */
export function caOnlyCertificates(doc: Pick<ConfigDoc, "listeners">): Set<string> {
  const cas = new Set<string>();
  const served = new Set<string>();
  for (const l of doc.listeners) {
    if (!l) continue;
    if (l.client_auth?.ca !== undefined) cas.add(l.client_auth.ca);
    for (const c of l.tls?.certificates ?? []) served.add(c);
  }
  for (const c of served) cas.delete(c);
  return cas;
}
