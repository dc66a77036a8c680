import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileSnapshot, validateConfig, type SnapshotClientCertMatch } from "../../../src/config/index.ts";
import { certRefusalReason, clientCertIdentity, clientCertMatches, parseSans } from "../../../src/runtime/l7/client-cert.ts";
import { run } from "../../integration/https-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-cert-"));
let odd: X509Certificate;
let local: X509Certificate;

/** A self-signed certificate with subject `subj` (openssl -subj syntax) and SANs `san`. */
async function make(name: string, subj: string, san: string, extra: string[] = []): Promise<X509Certificate> {
  const r = await run([
    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-keyout", join(dir, `${name}.key`), "-out", join(dir, `${name}.crt`), "-subj", subj, "-addext", `subjectAltName=${san}`, ...extra,
  ]);
  if (r.code !== 0) throw new Error(r.stderr);
  return new X509Certificate(readFileSync(join(dir, `${name}.crt`)));
}

beforeAll(async () => {
  odd = await make("odd", "/C=US/O=Acme, Inc./OU=ops+UID=jd/CN=svc", "DNS:Svc.Example.TEST,URI:spiffe://acme/ns/prod;v=1,email:svc@example.test,IP:10.0.0.1,IP:::1", ["-multivalue-rdn"]);
  local = await make("local", "/CN=lb", "DNS:lb.test,URI:spiffe://acme/lb");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const identity = (authorized = true) => clientCertIdentity({ cert: odd, authorized, local, ...(authorized ? {} : { verifyError: "CERT_HAS_EXPIRED" }) })!;

describe("client certificate identity", () => {
  test("the subject reads as RFC 4514 text, most specific first, escapes kept", () => {
    expect(identity().subject).toBe("CN=svc,UID=jd+OU=ops,O=Acme\\, Inc.,C=US");
  });

  test("SANs of every kind, IPv6 in RFC 5952 form; the SHA-256 in lower-case hex", () => {
    expect(identity().sans.map((s) => `${s.kind}:${s.value}`)).toEqual([
      "DNS:Svc.Example.TEST", "URI:spiffe://acme/ns/prod;v=1", "email:svc@example.test", "IP:10.0.0.1", "IP:::1",
    ]);
    expect(identity().sha256).toBe(odd.fingerprint256.replaceAll(":", "").toLowerCase());
    expect(parseSans('DNS:a.test, DNS:"b, c.test", othername:<unsupported>, URI:x:y')).toEqual([
      { kind: "DNS", value: "a.test", lower: "a.test" },
      { kind: "DNS", value: "b, c.test", lower: "b, c.test" },
      { kind: "URI", value: "x:y", lower: "x:y" },
    ]);
  });

  test("x-forwarded-client-cert is Envoy's element: By, Hash, Subject, URI, DNS; values with , ; = quoted", () => {
    const id = identity();
    expect(id.xfccLine).toBe(
      `x-forwarded-client-cert: By=spiffe://acme/lb;Hash=${id.sha256};Subject="CN=svc,UID=jd+OU=ops,O=Acme\\, Inc.,C=US";URI="spiffe://acme/ns/prod;v=1";DNS=Svc.Example.TEST\r\n`,
    );
    expect(clientCertIdentity({ cert: undefined, authorized: false, local })).toBeNull();
    expect(clientCertIdentity(null)).toBeNull();
  });
});

describe("route matching on a client certificate", () => {
  const match = (m: unknown): SnapshotClientCertMatch => {
    const snap = compileSnapshot(validateConfig({
      pools: [{ name: "p", backends: [{ address: "127.0.0.1:1" }] }],
      certificates: [{ name: "site", cert_pem: odd.toString(), key_pem: readFileSync(join(dir, "odd.key"), "utf8") }],
      listeners: [{
        name: "l", protocol: "https", address: "127.0.0.1:0", pool: "p", tls: { certificates: ["site"] }, client_auth: { ca_pem: local.toString() },
        routes: [{ name: "r", match: { client_cert: m } }],
      }],
    }), 1);
    return snap.listeners[0]!.routes[0]!.match.clientCert!;
  };

  test("DNS SANs match without case, other kinds exactly; a trailing * matches a prefix", () => {
    expect(clientCertMatches(match({ san: "svc.example.test" }), identity())).toBe(true);
    expect(clientCertMatches(match({ san: ["nope.test", "spiffe://acme/ns/*"] }), identity())).toBe(true);
    expect(clientCertMatches(match({ san: "SPIFFE://acme/ns/prod;v=1" }), identity())).toBe(false);
    expect(clientCertMatches(match({ san: "::1" }), identity())).toBe(true);
    expect(clientCertMatches(match({ san: "svc.example" }), identity())).toBe(false);
  });

  test("the subject matches exactly as shown; {} matches any verified certificate, never an unverified one", () => {
    expect(clientCertMatches(match({ subject: "CN=svc,UID=jd+OU=ops,O=Acme\\, Inc.,C=US" }), identity())).toBe(true);
    expect(clientCertMatches(match({ subject: "CN=svc" }), identity())).toBe(false);
    expect(clientCertMatches(match({}), identity())).toBe(true);
    expect(clientCertMatches(match({}), identity(false))).toBe(false);
    expect(clientCertMatches(match({}), null)).toBe(false);
  });
});

test("refusal reasons: missing, expired, untrusted, invalid; other handshake failures are not certificate refusals", () => {
  expect(certRefusalReason("EPROTO", "error:100000c0:SSL routines:OPENSSL_internal:PEER_DID_NOT_RETURN_A_CERTIFICATE")).toBe("missing");
  expect(certRefusalReason("EPROTO", "error:100000f0:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL")).toBeUndefined();
  expect(certRefusalReason("CERT_HAS_EXPIRED")).toBe("expired");
  expect(certRefusalReason("UNABLE_TO_VERIFY_LEAF_SIGNATURE")).toBe("untrusted");
  expect(certRefusalReason("CERT_REVOKED")).toBe("invalid");
  expect(certRefusalReason(undefined)).toBeUndefined();
});
