import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redactConfig, SnapshotHolder, validateConfig, type ConfigDocInput } from "../../src/config/index.ts";
import { ConfigControl, type ChangeOptions } from "../../src/control/index.ts";
import { LbError } from "../../src/errors.ts";
import { openStore, type Store } from "../../src/store/index.ts";
import { TEST_CERTS } from "../helpers/config-gen.ts";
import { problemPaths } from "../config/helpers.ts";

function setup(store: Store = openStore(":memory:")) {
  const holder = new SnapshotHolder();
  return { store, holder, control: new ConfigControl({ store, holder }) };
}
const base = (backends = ["10.0.0.1:80"]): ConfigDocInput => ({
  listeners: [{ name: "web", protocol: "https", address: "127.0.0.1:8443", pool: "app", tls: { certificates: ["site"] } }],
  pools: [{ name: "app", backends: backends.map((address) => ({ address })) }],
  certificates: [{ name: "site", cert_pem: TEST_CERTS.a.cert, key_pem: TEST_CERTS.a.key }],
});
const opts = (summary: string, more: Partial<ChangeOptions> = {}): ChangeOptions => ({ source: "api", summary, ...more });

/** Awaits `p`, expects an LbError with `code`, returns it. */
async function rejects(p: Promise<unknown>, code: string): Promise<LbError> {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(LbError);
  expect((e as LbError).code).toBe(code as LbError["code"]);
  return e as LbError;
}

describe("ConfigControl", () => {
  test("validates, stores, publishes, and returns the new revision", async () => {
    const { store, holder, control } = setup();
    const published: number[] = [];
    holder.subscribe((s) => published.push(s.revision));
    const r = await control.apply(base(), opts("PUT /v1/config"));
    expect(r.revision).toBe(1);
    expect(r.changed).toBe(true);
    expect(r.snapshot.revision).toBe(1);
    expect(holder.current()).toBe(r.snapshot);
    expect(published).toEqual([1]);
    expect(store.history()[0]!.summary).toStartWith("PUT /v1/config: ");
    const r2 = await control.apply(base(["10.0.0.1:80", "10.0.0.2:80"]), opts("POST /v1/pools/app/backends"));
    expect(r2.revision).toBe(2);
    expect(r2.diff).toEqual(["pool app: backend 10.0.0.2:80 added"]);
    expect(r2.resources.get("backend/app/10.0.0.2:80")).toBe(2);
    expect(r2.resources.get("listener/web")).toBe(1);
    expect(store.history()[0]!.summary).toBe("POST /v1/pools/app/backends: pool app: backend 10.0.0.2:80 added");
  });

  test("GET then PUT (the redacted document) is a no-op that keeps the stored key", async () => {
    const { store, holder, control } = setup();
    await control.apply(base(), opts("first"));
    const before = holder.current();
    const shown = redactConfig(store.read().doc);
    expect(shown.certificates[0]!.key_pem).toBeUndefined();
    const r = await control.apply(shown, opts("again"));
    expect(r).toMatchObject({ revision: 1, changed: false, diff: [] });
    expect(holder.current()).toBe(before); // nothing recompiled or republished
    expect(store.read().doc.certificates[0]!.key_pem).toBe(TEST_CERTS.a.key);
    expect(store.history()).toHaveLength(1);
  });

  test("a new certificate without key_pem is refused; a kept key must match a replaced cert", async () => {
    const { control } = setup();
    const noKey = base();
    noKey.certificates = [{ name: "site", cert_pem: TEST_CERTS.a.cert }];
    expect(problemPaths(await rejects(control.apply(noKey, opts("x")), "CONFIG_INVALID"))).toEqual(["certificates[0].key_pem"]);
    await control.apply(base(), opts("ok"));
    const swapped = base();
    swapped.certificates = [{ name: "site", cert_pem: TEST_CERTS.b.cert }];
    expect(problemPaths(await rejects(control.apply(swapped, opts("x")), "CONFIG_INVALID"))).toEqual(["certificates[0].key_pem"]);
    swapped.certificates = [{ name: "site", cert_pem: TEST_CERTS.b.cert, key_pem: TEST_CERTS.b.key }];
    expect((await control.apply(swapped, opts("rotate"))).diff).toEqual(["certificate site: cert_pem changed", "certificate site: key_pem changed"]);
  });

  test("a certificate used only as a client_auth CA is stored without a key, and stays keyless", async () => {
    const { store, control } = setup();
    const withCa = base();
    withCa.listeners![0]!.client_auth = { ca: "clients" };
    withCa.certificates!.push({ name: "clients", cert_pem: TEST_CERTS.b.cert });
    const r = await control.apply(withCa, opts("mtls"));
    expect(r.snapshot.listeners[0]!.clientAuth?.caPem).toBe(TEST_CERTS.b.cert);
    expect(store.read().doc.certificates[1]!.key_pem).toBeUndefined();
    // served by a listener, the same certificate needs its key
    withCa.listeners![0]!.tls!.certificates = ["clients"];
    expect(problemPaths(await rejects(control.apply(withCa, opts("x")), "CONFIG_INVALID"))).toEqual(["certificates[1].key_pem"]);
  });

  test("an invalid document is refused, nothing is stored and the previous snapshot keeps serving", async () => {
    const { store, holder, control } = setup();
    const good = (await control.apply(base(), opts("ok"))).snapshot;
    const bad = base();
    bad.pools = [{ name: "app", algorithm: "maglev", table_size: 100 }];
    expect(problemPaths(await rejects(control.apply(bad, opts("bad")), "CONFIG_INVALID"))).toEqual(["pools[0].table_size"]);
    expect(store.read().revision).toBe(1);
    expect(holder.current()).toBe(good);
  });

  test("a failing precondition is thrown as is; it is judged on the current config", async () => {
    const { control } = setup();
    await control.apply(base(), opts("one"));
    const seen: number[] = [];
    const precondition = (c: { revision: number }) => {
      seen.push(c.revision);
      if (c.revision !== 0) throw new LbError("PRECONDITION_FAILED", "stale");
    };
    await rejects(control.apply(base(["10.0.0.9:80"]), opts("x", { precondition })), "PRECONDITION_FAILED");
    expect(seen).toEqual([1]);
  });

  test("a preflight failure stores nothing; a refused plan (approve) neither", async () => {
    const store = openStore(":memory:");
    const holder = new SnapshotHolder();
    const control = new ConfigControl({
      store,
      holder,
      preflight: async (s) => {
        if (s.pools.app!.backends.length > 1) throw new LbError("CONFIG_INVALID", "cannot bind");
      },
    });
    await control.apply(base(), opts("one"));
    await rejects(control.apply(base(["10.0.0.1:80", "10.0.0.2:80"]), opts("two")), "CONFIG_INVALID");
    const approve = () => {
      throw new LbError("CONFLICT", "no");
    };
    await rejects(control.apply(base(["10.0.0.3:80"]), opts("three", { approve })), "CONFLICT");
    expect(store.read().revision).toBe(1);
    expect(holder.current()!.revision).toBe(1);
  });

  test("dry run validates and compiles but stores and publishes nothing", async () => {
    const { store, holder, control } = setup();
    await control.apply(base(), opts("one"));
    const held = holder.current();
    const r = await control.apply(base(["10.0.0.5:80"]), opts("dry", { dryRun: true }));
    expect(r).toMatchObject({ revision: 1, changed: true });
    expect(r.snapshot.revision).toBe(2);
    expect(r.snapshot.pools.app!.usable[0]!.address).toBe("10.0.0.5:80");
    expect(store.read().revision).toBe(1);
    expect(holder.current()).toBe(held);
    await rejects(control.apply({ pools: [{ name: "BAD" }] }, opts("dry", { dryRun: true })), "CONFIG_INVALID");
  });

  test("an unchanged document publishes the stored revision when the holder is empty (startup)", async () => {
    const store = openStore(":memory:");
    await setup(store).control.apply(base(), opts("one"));
    const fresh = setup(store);
    const r = await fresh.control.apply(base(), opts("start --config"));
    expect(r.changed).toBe(false);
    expect(fresh.holder.current()!.revision).toBe(1);
    const other = setup(store);
    expect(other.control.publishStored().revision).toBe(1);
    expect(other.holder.current()!.pools.app!.usable).toHaveLength(1);
  });
});

describe("one change at a time", () => {
  test("concurrent read-modify-writes on one node never lose each other's change", async () => {
    const { store, control } = setup();
    await control.apply(base([]), opts("empty"));
    // Each change awaits (preflight) between its read and its write: without the queue, all 20
    // would read the same document and all but one backend would be lost.
    const slow = new ConfigControl({ store, holder: new SnapshotHolder(), preflight: () => Bun.sleep(1) });
    const adds = Array.from({ length: 20 }, (_, i) =>
      slow.change((current) => {
        const doc = structuredClone(current.doc);
        doc.pools[0]!.backends.push({ address: `10.0.9.${i}:80`, weight: 1, state: "active" });
        return doc;
      }, opts(`add ${i}`)),
    );
    const revisions = (await Promise.all(adds)).map((r) => r.revision);
    expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(store.read().doc.pools[0]!.backends).toHaveLength(20);
  });

  test("a change that another process beats to the store starts again from a fresh read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-control-"));
    const path = join(dir, "c.db");
    const mine = setup(openStore(path));
    const other = openStore(path);
    try {
      await mine.control.apply(base([]), opts("empty"));
      let reads = 0;
      const added = await mine.control.change((current) => {
        reads++;
        if (reads === 1) {
          // Another writer lands between this attempt's read and its write.
          const theirs = structuredClone(current.doc);
          theirs.pools[0]!.backends.push({ address: "10.0.8.1:80", weight: 1, state: "active" });
          void other.write(validateConfig(theirs), { source: "api", summary: "theirs" });
        }
        const doc = structuredClone(current.doc);
        doc.pools[0]!.backends.push({ address: "10.0.8.2:80", weight: 1, state: "active" });
        return doc;
      }, opts("mine"));
      expect(reads).toBe(2);
      expect(added.revision).toBe(3);
      expect(mine.store.read().doc.pools[0]!.backends.map((b) => b.address)).toEqual(["10.0.8.1:80", "10.0.8.2:80"]);
    } finally {
      other.close();
      mine.store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
