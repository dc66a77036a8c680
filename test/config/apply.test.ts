import { describe, expect, test } from "bun:test";
import { applyConfig, publishStored, redactConfig, SnapshotHolder, type ConfigDocInput } from "../../src/config/index.ts";
import { openStore } from "../../src/store/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

function setup() {
  return { store: openStore(":memory:"), holder: new SnapshotHolder() };
}
const base = (backends = ["10.0.0.1:80"]): ConfigDocInput => ({
  listeners: [{ name: "web", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["site"] } }],
  pools: [{ name: "app", backends: backends.map((address) => ({ address })) }],
  certificates: [{ name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }],
});

describe("applyConfig", () => {
  test("validates, stores, publishes, and returns the new revision", () => {
    const deps = setup();
    const published: number[] = [];
    deps.holder.subscribe((s) => published.push(s.revision));
    const r = applyConfig(deps, base(), { summary: "PUT /v1/config" });
    expect(r.revision).toBe(1);
    expect(r.changed).toBe(true);
    expect(r.snapshot.revision).toBe(1);
    expect(deps.holder.current()).toBe(r.snapshot);
    expect(published).toEqual([1]);
    expect(deps.store.history()[0]!.summary).toStartWith("PUT /v1/config: ");
    const r2 = applyConfig(deps, base(["10.0.0.1:80", "10.0.0.2:80"]), { summary: "POST /v1/pools/app/backends" });
    expect(r2.revision).toBe(2);
    expect(r2.diff).toEqual(["pool app: backend 10.0.0.2:80 added"]);
    expect(deps.store.history()[0]!.summary).toBe("POST /v1/pools/app/backends: pool app: backend 10.0.0.2:80 added");
  });

  test("GET then PUT (the redacted document) is a no-op that keeps the stored key", () => {
    const deps = setup();
    applyConfig(deps, base(), { summary: "first" });
    const before = deps.holder.current();
    const shown = redactConfig(deps.store.read().doc);
    expect(shown.certificates[0]!.key_pem).toBeUndefined();
    const r = applyConfig(deps, shown, { summary: "again" });
    expect(r).toMatchObject({ revision: 1, changed: false, diff: [] });
    expect(deps.holder.current()).toBe(before); // nothing recompiled or republished
    expect(deps.store.read().doc.certificates[0]!.key_pem).toBe(TEST_CERTS.a.key);
    expect(deps.store.history()).toHaveLength(1);
  });

  test("a new certificate without key_pem is refused; a kept key must match a replaced cert", () => {
    const deps = setup();
    const noKey = base();
    noKey.certificates = [{ name: "site", cert_pem: TEST_CERTS.a.cert }];
    expect(problemPaths(expectLbError(() => applyConfig(deps, noKey, { summary: "x" }), "CONFIG_INVALID"))).toEqual(["certificates[0].key_pem"]);
    applyConfig(deps, base(), { summary: "ok" });
    const swapped = base();
    swapped.certificates = [{ name: "site", cert_pem: TEST_CERTS.b.cert }];
    expect(problemPaths(expectLbError(() => applyConfig(deps, swapped, { summary: "x" }), "CONFIG_INVALID"))).toEqual(["certificates[0].key_pem"]);
    swapped.certificates = [{ name: "site", cert_pem: TEST_CERTS.b.cert, key_pem: TEST_CERTS.b.key }];
    expect(applyConfig(deps, swapped, { summary: "rotate" }).diff).toEqual(["certificate site: cert_pem changed", "certificate site: key_pem changed"]);
  });

  test("an invalid document is refused, nothing is stored and the previous snapshot keeps serving", () => {
    const deps = setup();
    const good = applyConfig(deps, base(), { summary: "ok" }).snapshot;
    const bad = base();
    bad.pools = [{ name: "app", algorithm: "maglev", table_size: 100 }];
    expect(problemPaths(expectLbError(() => applyConfig(deps, bad, { summary: "bad" }), "CONFIG_INVALID"))).toEqual(["pools[0].table_size"]);
    expect(deps.store.read().revision).toBe(1);
    expect(deps.holder.current()).toBe(good);
  });

  test("a stale expectRevision is PRECONDITION_FAILED; the current one writes", () => {
    const deps = setup();
    applyConfig(deps, base(), { summary: "one" });
    const e = expectLbError(() => applyConfig(deps, base(["10.0.0.9:80"]), { summary: "x", expectRevision: 0 }), "PRECONDITION_FAILED");
    expect(e.status).toBe(412);
    expect(applyConfig(deps, base(["10.0.0.9:80"]), { summary: "x", expectRevision: 1 }).revision).toBe(2);
  });

  test("dry run validates and compiles but stores and publishes nothing", () => {
    const deps = setup();
    applyConfig(deps, base(), { summary: "one" });
    const held = deps.holder.current();
    const r = applyConfig(deps, base(["10.0.0.5:80"]), { summary: "dry", dryRun: true });
    expect(r).toMatchObject({ revision: 1, changed: true });
    expect(r.snapshot.revision).toBe(2);
    expect(r.snapshot.pools.app!.usable[0]!.address).toBe("10.0.0.5:80");
    expect(deps.store.read().revision).toBe(1);
    expect(deps.holder.current()).toBe(held);
    expectLbError(() => applyConfig(deps, { pools: [{ name: "BAD" }] }, { summary: "dry", dryRun: true }), "CONFIG_INVALID");
  });

  test("an unchanged document publishes the stored revision when the holder is empty (startup)", () => {
    const store = openStore(":memory:");
    applyConfig({ store, holder: new SnapshotHolder() }, base(), { summary: "one" });
    const fresh = new SnapshotHolder();
    const r = applyConfig({ store, holder: fresh }, base(), { summary: "start --config" });
    expect(r.changed).toBe(false);
    expect(fresh.current()!.revision).toBe(1);
    const other = new SnapshotHolder();
    expect(publishStored({ store, holder: other }).revision).toBe(1);
    expect(other.current()!.pools.app!.usable).toHaveLength(1);
  });
});
