/** access, max_connections_per_client, client_auth and match.client_cert: validation and compile. */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

const doc = (listener: Record<string, unknown>, certificates: unknown[] = [{ name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }]) => ({
  listeners: [{ name: "l", protocol: "https", address: "127.0.0.1:0", pool: "p", tls: { certificates: ["site"] }, ...listener }],
  pools: [{ name: "p", backends: [{ address: "127.0.0.1:1" }] }],
  certificates,
});
const paths = (input: unknown) => problemPaths(expectLbError(() => validateConfig(input), "CONFIG_INVALID"));

describe("access lists", () => {
  test("compile once into the snapshot, on listeners and routes", () => {
    const snap = compileSnapshot(validateConfig(doc({
      access: { allow: ["10.0.0.0/8"], deny: ["10.0.0.1"] }, max_connections_per_client: 4,
      routes: [{ name: "r", access: { deny: ["::1"] } }],
    })), 1);
    const l = snap.listeners[0]!;
    expect(l.access!.allows("10.2.3.4")).toBe(true);
    expect(l.access!.allows("10.0.0.1")).toBe(false);
    expect(l.maxConnectionsPerClient).toBe(4);
    expect(l.routes[0]!.access!.allows("::1")).toBe(false);
    expect(l.routes[0]!.access!.allows("127.0.0.1")).toBe(true);
  });

  test("every CIDR that does not parse is named; an empty allow list and an empty access are refused", () => {
    expect(paths(doc({ access: { allow: ["10.0.0.0/8", "300.1.1.1"], deny: ["::1/129"] } }))).toEqual(["listeners[0].access.allow[1]", "listeners[0].access.deny[0]"]);
    expect(paths(doc({ access: { allow: [] } }))).toEqual(["listeners[0].access.allow"]);
    expect(paths(doc({ access: {} }))).toEqual(["listeners[0].access"]);
    expect(paths(doc({ access: { allows: ["1.2.3.4"] } }))).toEqual(["listeners[0].access", "listeners[0].access.allows"]);
    expect(paths(doc({ max_connections_per_client: 0 }))).toEqual(["listeners[0].max_connections_per_client"]);
  });
});

describe("client_auth", () => {
  test("ca names a certificate kept as a CA bundle without a key; ca_pem is taken as it is; mode defaults to require", () => {
    const byName = compileSnapshot(validateConfig(doc({ client_auth: { ca: "cas" } }, [
      { name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key },
      { name: "cas", cert_pem: TEST_CERTS.b.cert },
    ])), 1);
    expect(byName.listeners[0]!.clientAuth).toEqual({ caPem: TEST_CERTS.b.cert, mode: "require" });
    expect(byName.certificates.cas).toBeUndefined();
    const inline = compileSnapshot(validateConfig(doc({ client_auth: { ca_pem: TEST_CERTS.b.cert, mode: "optional" } })), 1);
    expect(inline.listeners[0]!.clientAuth).toEqual({ caPem: TEST_CERTS.b.cert, mode: "optional" });
  });

  test("a certificate without a key that a listener serves is refused, even if it is also a CA", () => {
    const input = validateConfig(doc({ tls: { certificates: ["cas"] }, client_auth: { ca: "cas" } }, [{ name: "cas", cert_pem: TEST_CERTS.b.cert }]));
    expect(problemPaths(expectLbError(() => compileSnapshot(input, 1), "CONFIG_INVALID"))).toEqual(["certificates[0].key_pem"]);
  });

  test("mistakes are named: a bad bundle, a missing CA, both or neither, a listener that is not https", () => {
    expect(paths(doc({ client_auth: { ca_pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" } }))).toEqual(["listeners[0].client_auth.ca_pem"]);
    expect(paths(doc({ client_auth: { ca_pem: "hello" } }))).toEqual(["listeners[0].client_auth.ca_pem"]);
    expect(paths(doc({ client_auth: { ca: "missing" } }))).toEqual(["listeners[0].client_auth.ca"]);
    expect(paths(doc({ client_auth: { ca: "site", ca_pem: TEST_CERTS.b.cert } }))).toEqual(["listeners[0].client_auth"]);
    expect(paths(doc({ client_auth: { mode: "optional" } }))).toEqual(["listeners[0].client_auth"]);
    expect(paths(doc({ client_auth: { ca: "site", mode: "sometimes" } }))).toEqual(["listeners[0].client_auth.mode"]);
    expect(paths(doc({ protocol: "tls_passthrough", tls: undefined, client_auth: { ca: "site" } }))).toEqual(["listeners[0].client_auth"]);
  });

  test("match.client_cert needs client_auth on its listener; SAN patterns take * only at the end", () => {
    const route = (client_cert: unknown, extra: Record<string, unknown> = { client_auth: { ca: "site" } }) => doc({ ...extra, routes: [{ name: "r", match: { client_cert } }] });
    expect(paths(route({}, {}))).toEqual(["listeners[0].routes[0].match.client_cert"]);
    expect(paths(route({ san: "a*b" }))).toEqual(["listeners[0].routes[0].match.client_cert.san"]);
    expect(paths(route({ san: [] }))).toEqual(["listeners[0].routes[0].match.client_cert.san"]);
    const m = compileSnapshot(validateConfig(route({ san: ["Host.Test", "spiffe://x/*"], subject: "CN=a" })), 1).listeners[0]!.routes[0]!.match.clientCert;
    expect(m).toEqual({
      san: [{ value: "Host.Test", lower: "host.test", prefix: false }, { value: "spiffe://x/", lower: "spiffe://x/", prefix: true }],
      subject: "CN=a",
    });
  });
});
