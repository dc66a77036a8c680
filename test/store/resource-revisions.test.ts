import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { validateConfig, type ConfigDoc, type ConfigDocInput } from "../../src/config/index.ts";
import { openStore, resourceKey, type Store } from "../../src/store/index.ts";

const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
function open(): Store {
  const s = openStore(":memory:");
  stores.push(s);
  return s;
}

function doc(edit: (d: ConfigDocInput & { pools: any[]; listeners: any[] }) => void = () => {}): ConfigDoc {
  const d = {
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", routes: [{ name: "a", match: { path: "/a" } }, { name: "b", match: { path: "/b" } }] },
    ],
    pools: [
      { name: "app", backends: [{ address: "10.0.0.1:80" }, { address: "10.0.0.2:80" }] },
      { name: "other", backends: [{ address: "10.0.1.1:80" }] },
    ],
  };
  edit(d as any);
  return validateConfig(d);
}

const W = { source: "api", summary: "test" } as const;

describe("per-resource revisions", () => {
  test("every resource starts at the revision that created it", async () => {
    const s = open();
    await s.write(doc(), W);
    expect(Object.fromEntries(s.read().resources)).toEqual({
      "listener/web": 1,
      "route/web/a": 1,
      "route/web/b": 1,
      "pool/app": 1,
      "backend/app/10.0.0.1:80": 1,
      "backend/app/10.0.0.2:80": 1,
      "pool/other": 1,
      "backend/other/10.0.1.1:80": 1,
    });
  });

  test("a changed backend moves itself and its pool, nothing else", async () => {
    const s = open();
    await s.write(doc(), W);
    await s.write(doc((d) => (d.pools[0].backends[1].weight = 5)), W);
    const r = s.read().resources;
    expect(r.get(resourceKey("backend", "app", "10.0.0.2:80"))).toBe(2);
    expect(r.get(resourceKey("pool", "app"))).toBe(2);
    expect(r.get(resourceKey("backend", "app", "10.0.0.1:80"))).toBe(1);
    expect(r.get(resourceKey("pool", "other"))).toBe(1);
    expect(r.get(resourceKey("listener", "web"))).toBe(1);
  });

  test("removing a child or reordering children moves the parent only", async () => {
    const s = open();
    await s.write(doc(), W);
    await s.write(doc((d) => d.pools[0].backends.pop()), W);
    await s.write(doc((d) => {
      d.pools[0].backends.pop();
      d.listeners[0].routes.reverse();
    }), W);
    const r = s.read().resources;
    expect(r.get("pool/app")).toBe(2);
    expect(r.has("backend/app/10.0.0.2:80")).toBe(false);
    expect(r.get("listener/web")).toBe(3);
    expect(r.get("route/web/a")).toBe(1);
    expect(r.get("route/web/b")).toBe(1);
  });

  test("a resource removed and added back starts at the revision that re-created it", async () => {
    const s = open();
    await s.write(doc(), W);
    await s.write(doc((d) => d.pools.pop()), W);
    await s.write(doc(), W);
    expect(s.read().resources.get("pool/other")).toBe(3);
    expect(s.read().resources.get("pool/app")).toBe(1);
  });

  test("revisions survive reopening a file store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-rev-"));
    const path = join(dir, "r.db");
    const a = openStore(path);
    await a.write(doc(), W);
    await a.write(doc((d) => (d.pools[1].backends[0].weight = 3)), W);
    a.close();
    const b = openStore(path);
    stores.push(b);
    expect(b.read().resources.get("pool/app")).toBe(1);
    expect(b.read().resources.get("pool/other")).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("history sources", () => {
  test("each entry records who made it and which file", async () => {
    const s = open();
    await s.write(doc(), { source: "file", file: "/etc/fulcrum/a.yaml", summary: "start --config a.yaml" });
    await s.write(doc((d) => d.pools.pop()), { source: "api", summary: "DELETE /v1/pools/other" });
    await s.write(doc(), { source: "sighup", file: "/etc/fulcrum/a.yaml", summary: "SIGHUP" });
    expect(s.history().map(({ at: _at, ...e }) => e)).toEqual([
      { revision: 3, source: "sighup", file: "/etc/fulcrum/a.yaml", summary: "SIGHUP" },
      { revision: 2, source: "api", summary: "DELETE /v1/pools/other" },
      { revision: 1, source: "file", file: "/etc/fulcrum/a.yaml", summary: "start --config a.yaml" },
    ]);
  });
});
