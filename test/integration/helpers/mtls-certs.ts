/**
 * Certificates for the mTLS tests, made by openssl in a temp folder: a client CA and another CA,
 * server certificates, client certificates signed by the CA (valid, expired via `openssl ca` with
 * past dates) and one signed by the other CA.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../https-helpers.ts";

export interface Pem {
  crt: string;
  key: string;
  crtFile: string;
  keyFile: string;
}

export interface MtlsCerts {
  ca: Pem;
  otherCa: Pem;
  /** localhost, with a URI SAN (x-forwarded-client-cert's By) */
  site: Pem;
  /** b.test (a second certificate, picked by SNI) */
  siteB: Pem;
  /** CN=client-a, O=Acme; DNS:client-a.test, URI:spiffe://acme/client-a */
  clientA: Pem;
  /** CN=client-b, O=Acme; DNS:Client-B.test */
  clientB: Pem;
  /** client-a's name and key, valid in 2020 only */
  expired: Pem;
  /** client-a's name and key, signed by the other CA */
  wrongCa: Pem;
  /** SHA-256 of a certificate file, lower-case hex */
  sha256(crtFile: string): Promise<string>;
}

async function openssl(args: string[]): Promise<void> {
  const r = await run(["openssl", ...args]);
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

function pem(dir: string, name: string): Pem {
  const crtFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { crtFile, keyFile, crt: readFileSync(crtFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function selfSigned(dir: string, name: string, subj: string, san?: string): Promise<Pem> {
  await openssl(["req", "-x509", ...EC, "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`), "-days", "2", "-subj", subj, ...(san ? ["-addext", `subjectAltName=${san}`] : [])]);
  return pem(dir, name);
}

/** A CSR for `subj` with `san`, signed by `ca` (x509 -req), or with past dates (`openssl ca`). */
async function signed(dir: string, name: string, keyOf: string | undefined, subj: string, san: string, ca: Pem, expired = false): Promise<Pem> {
  const key = join(dir, `${keyOf ?? name}.key`);
  const csr = join(dir, `${name}.csr`);
  await openssl(["req", "-new", ...(keyOf ? ["-key", key] : [...EC, "-keyout", key]), "-out", csr, "-subj", subj]);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=clientAuth\n`);
  const crt = join(dir, `${name}.crt`);
  if (!expired) {
    await openssl(["x509", "-req", "-in", csr, "-CA", ca.crtFile, "-CAkey", ca.keyFile, "-CAcreateserial", "-out", crt, "-days", "2", "-extfile", ext]);
  } else {
    const db = join(dir, "cadb");
    await run(["mkdir", "-p", db]);
    writeFileSync(join(db, "index.txt"), "");
    writeFileSync(join(db, "serial"), "01\n");
    const conf = join(dir, "ca.cnf");
    writeFileSync(conf, `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\nnew_certs_dir=${db}\nserial=${db}/serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\norganizationName=optional\n`);
    await openssl(["ca", "-batch", "-config", conf, "-cert", ca.crtFile, "-keyfile", ca.keyFile, "-in", csr, "-out", crt, "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-extfile", ext, "-notext"]);
  }
  return { crtFile: crt, keyFile: key, crt: readFileSync(crt, "utf8"), key: readFileSync(key, "utf8") };
}

/** Makes every certificate in `dir`. */
export async function makeMtlsCerts(dir: string): Promise<MtlsCerts> {
  const ca = await selfSigned(dir, "ca", "/CN=Test Client CA");
  const otherCa = await selfSigned(dir, "other-ca", "/CN=Other CA");
  const site = await selfSigned(dir, "site", "/CN=localhost", "DNS:localhost,URI:spiffe://acme/fulcrum");
  const siteB = await selfSigned(dir, "site-b", "/CN=b.test", "DNS:b.test");
  const clientA = await signed(dir, "client-a", undefined, "/CN=client-a/O=Acme", "DNS:client-a.test,URI:spiffe://acme/client-a", ca);
  const clientB = await signed(dir, "client-b", undefined, "/CN=client-b/O=Acme", "DNS:Client-B.test", ca);
  const expired = await signed(dir, "expired", "client-a", "/CN=client-a/O=Acme", "DNS:client-a.test,URI:spiffe://acme/client-a", ca, true);
  const wrongCa = await signed(dir, "wrong-ca", "client-a", "/CN=client-a/O=Acme", "DNS:client-a.test,URI:spiffe://acme/client-a", otherCa);
  return {
    ca, otherCa, site, siteB, clientA, clientB, expired, wrongCa,
    async sha256(crtFile) {
      const r = await run(["openssl", "x509", "-in", crtFile, "-noout", "-fingerprint", "-sha256"]);
      return r.stdout.trim().split("=")[1]!.replaceAll(":", "").toLowerCase();
    },
  };
}
