import { describe, expect, test } from "bun:test";
import { diffConfig, redactConfig, validateConfig } from "../../src/config/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";

const a = validateConfig({
  listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:80", pool: "app", routes: [{ name: "one" }, { name: "two" }] }],
  pools: [
    { name: "app", backends: [{ address: "10.0.0.1:80" }, { address: "10.0.0.2:80" }], sticky: { cookie: "s", secret: "a".repeat(32) } },
    { name: "old" },
  ],
  certificates: [{ name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }],
});

describe("diffConfig", () => {
  test("is empty for equal documents", () => {
    expect(diffConfig(a, structuredClone(a))).toEqual([]);
  });

  test("names added, removed and changed resources, backends and fields", () => {
    const b = structuredClone(a);
    b.pools[0]!.backends[0]!.weight = 5;
    b.pools[0]!.backends.splice(1, 1);
    b.pools[0]!.backends.push({ address: "10.0.0.3:80", weight: 1, state: "draining" });
    b.pools[0]!.algorithm = "random";
    b.pools[0]!.sticky = { cookie: "s", ttl_s: 3600, secret: "b".repeat(32) };
    b.pools.splice(1, 1);
    b.pools.push(validateConfig({ pools: [{ name: "new" }] }).pools[0]!);
    b.listeners[0]!.routes.reverse();
    b.listeners[0]!.address = "127.0.0.1:81";
    expect(diffConfig(a, b)).toEqual([
      "listener web: address 127.0.0.1:80 -> 127.0.0.1:81",
      "listener web: routes reordered",
      "pool old removed",
      "pool app: algorithm round_robin -> random",
      "pool app: sticky changed",
      "pool app: backend 10.0.0.2:80 removed",
      "pool app: backend 10.0.0.1:80: weight 1 -> 5",
      "pool app: backend 10.0.0.3:80 added",
      "pool new added",
    ]);
  });

  test("never prints secrets or PEM, and a missing key_pem means unchanged", () => {
    const b = structuredClone(a);
    b.certificates[0]!.cert_pem = TEST_CERTS.b.cert;
    b.pools[0]!.sticky!.secret = "c".repeat(40);
    const lines = diffConfig(a, b);
    expect(lines).toEqual(["pool app: sticky changed", "certificate site: cert_pem changed"]);
    expect(lines.join("\n")).not.toContain("BEGIN");
    expect(diffConfig(a, redactConfig(a))).toEqual([]);
  });
});

describe("redactConfig", () => {
  test("drops every key_pem and leaves the original untouched", () => {
    const shown = redactConfig(a);
    expect(shown.certificates).toEqual([{ name: "site", cert_pem: TEST_CERTS.a.cert }]);
    expect(JSON.stringify(shown)).not.toContain("PRIVATE KEY");
    expect(a.certificates[0]!.key_pem).toBe(TEST_CERTS.a.key);
  });
});
