/**
 * `discovery` on pools and `tracing` on listeners and routes: what validation accepts and refuses
 * (each refusal at its field's path), what compile makes of them, and how found backends enter a
 * snapshot (pool rebuilt, every reference relinked, revision unchanged) through the holder's overlay.
 */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, poolWithFound, replacePools, SnapshotHolder, validateConfig, type Snapshot } from "../../src/config/index.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

const http = (extra: object = {}) => ({ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", ...extra });
const dnsPool = (discovery: object, extra: object = {}) => ({ name: "app", discovery, ...extra });
const invalidPaths = (doc: unknown) => problemPaths(expectLbError(() => validateConfig(doc), "CONFIG_INVALID"));

describe("discovery config", () => {
  test("fills defaults and compiles resolvers with their ports", () => {
    const doc = validateConfig({ pools: [dnsPool({ dns: "App.Internal.", port: 8080, resolvers: ["127.0.0.1:5353", "::1", "[::1]:53", "10.0.0.2"] })] });
    expect(doc.pools[0]!.discovery).toMatchObject({ type: "A", interval_ms: 30000, drain_ms: 30000 });
    const d = compileSnapshot(doc, 1).pools.app!.discovery!;
    expect(d).toMatchObject({ name: "app.internal", type: "A", port: 8080, weight: 1, intervalMs: 30000 });
    expect(d.resolvers).toEqual([{ host: "127.0.0.1", port: 5353 }, { host: "::1", port: 53 }, { host: "::1", port: 53 }, { host: "10.0.0.2", port: 53 }]);
  });

  test("refuses what cannot be looked up, each at its field", () => {
    expect(invalidPaths({ pools: [dnsPool({ dns: "app.internal" })] })).toEqual(["pools[0].discovery.port"]);
    expect(invalidPaths({ pools: [dnsPool({ dns: "_x._tcp.app.internal", type: "SRV", port: 80 })] })).toEqual(["pools[0].discovery.port"]);
    expect(invalidPaths({ pools: [dnsPool({ dns: "10.0.0.1", port: 80 })] })).toEqual(["pools[0].discovery.dns"]);
    expect(invalidPaths({ pools: [dnsPool({ dns: "a.internal", port: 80, type: "MX" })] })).toEqual(["pools[0].discovery.type"]);
    expect(invalidPaths({ pools: [dnsPool({ dns: "a.internal", port: 80, interval_ms: 10 })] })).toEqual(["pools[0].discovery.interval_ms"]);
    expect(invalidPaths({ pools: [dnsPool({ dns: "a.internal", port: 80, resolvers: ["127.0.0.1", "dns.google", "1.2.3.4:99999", "[::1]"] })] })).toEqual([
      "pools[0].discovery.resolvers[1]",
      "pools[0].discovery.resolvers[2]",
      "pools[0].discovery.resolvers[3]",
    ]);
  });
});

describe("found backends in a snapshot", () => {
  const snap = (): Snapshot =>
    compileSnapshot(
      validateConfig({
        listeners: [
          http({ routes: [{ name: "r", pool: "app" }, { name: "other", pool: "plain", match: { path_prefix: "/o" } }] }),
          { name: "edge", protocol: "tls_passthrough", address: "127.0.0.1:8443", sni: [{ names: ["a.example.com"], pool: "app" }] },
        ],
        pools: [
          dnsPool({ dns: "app.internal", port: 80 }, { algorithm: "maglev", table_size: 7, backends: [{ address: "10.0.0.1:80" }] }),
          { name: "plain", backends: [{ address: "10.0.0.9:80" }] },
        ],
      }),
      4,
    );

  test("the pool gets them after its configured ones, a configured address wins, the selector covers the active ones", () => {
    const base = snap().pools.app!;
    const p = poolWithFound(base, [
      { host: "10.0.0.1", port: 80, weight: 9, state: "active" },
      { host: "10.0.0.2", port: 80, weight: 2, state: "active" },
      { host: "fd00::3", port: 80, weight: 1, state: "draining" },
    ]);
    expect(p.backends.map((b) => [b.address, b.weight, b.state, b.discoveredFrom ?? "config"])).toEqual([
      ["10.0.0.1:80", 1, "active", "config"],
      ["10.0.0.2:80", 2, "active", "app.internal"],
      ["[fd00::3]:80", 1, "draining", "app.internal"],
    ]);
    expect(p.usable.map((b) => b.address)).toEqual(["10.0.0.1:80", "10.0.0.2:80"]);
    expect(new Set(p.selector.table)).toEqual(new Set([0, 1]));
    expect(Object.isFrozen(p.backends)).toBe(true);
  });

  test("every listener, route and SNI rule points at the rebuilt pool; the rest is untouched; same revision", () => {
    const s = snap();
    const rebuilt = poolWithFound(s.pools.app!, [{ host: "10.0.0.2", port: 80, weight: 1, state: "active" }]);
    const out = replacePools(s, new Map([["app", rebuilt]]));
    expect(out.revision).toBe(4);
    expect(out.pools.app).toBe(rebuilt);
    expect(out.pools.plain).toBe(s.pools.plain);
    const web = out.listeners[0]!;
    expect(web.pool).toBe(rebuilt);
    expect(web.routes[0]!.pool).toBe(rebuilt);
    expect(web.routes[1]).toBe(s.listeners[0]!.routes[1]!);
    expect(out.listeners[1]!.sni[0]!.pool).toBe(rebuilt);
    expect(out.listeners[1]!.sniTable!.lookup("a.example.com")).toBe(rebuilt);
  });

  test("the holder serves its overlay of each compiled snapshot, and re-derives on refresh", () => {
    const overlayErrors: unknown[] = [];
    const holder = new SnapshotHolder({ onOverlayError: (e) => overlayErrors.push(e) });
    const seen: Snapshot[] = [];
    holder.subscribe((s) => seen.push(s));
    const base = snap();
    holder.publish(base);
    let found: { host: string; port: number; weight: number; state: "active" }[] = [];
    holder.setOverlay((s) => (found.length === 0 ? s : replacePools(s, new Map([["app", poolWithFound(s.pools.app!, found)]]))));
    expect(holder.current()).toBe(base);
    expect(seen.length).toBe(1); // setting an overlay that adds nothing tells no one
    found = [{ host: "10.0.0.5", port: 80, weight: 1, state: "active" }];
    holder.refresh();
    expect(seen.length).toBe(2);
    expect(holder.current()!.pools.app!.backends.map((b) => b.address)).toEqual(["10.0.0.1:80", "10.0.0.5:80"]);
    expect(holder.compiled()).toBe(base);
    const next = snap();
    holder.publish(next);
    expect(holder.current()!.pools.app!.backends.length).toBe(2);
    holder.setOverlay(() => {
      throw new Error("broken overlay");
    });
    expect(holder.current()).toBe(next); // a failing overlay serves the config's own snapshot
    expect(overlayErrors.length).toBe(1);
  });
});

describe("tracing config", () => {
  test("a route inherits the listener's tracing or overrides its sample rate; a bare origin gets /v1/traces", () => {
    const doc = validateConfig({
      listeners: [http({
        tracing: { sample_rate: 0.25, otlp_endpoint: "http://127.0.0.1:4318" },
        routes: [{ name: "a", match: { path_prefix: "/a" } }, { name: "b", tracing: { sample_rate: 1 } }],
      }), http({ name: "w2", address: "127.0.0.1:8081", routes: [{ name: "c", tracing: { sample_rate: 0 } }] })],
      pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }] }],
    });
    const [l, l2] = compileSnapshot(doc, 1).listeners;
    expect(l!.tracing).toEqual({ sampleRate: 0.25, otlpEndpoint: "http://127.0.0.1:4318/v1/traces", serviceName: "fulcrum" });
    expect(l!.routes[0]!.tracing).toBe(l!.tracing!);
    expect(l!.routes[1]!.tracing).toEqual({ sampleRate: 1, otlpEndpoint: "http://127.0.0.1:4318/v1/traces", serviceName: "fulcrum" });
    expect(l2!.tracing).toBeUndefined();
    expect(l2!.routes[0]!.tracing).toEqual({ sampleRate: 0, serviceName: "fulcrum" });
  });

  test("refuses tracing where no HTTP header carries it, and endpoints that are not http(s) URLs", () => {
    expect(invalidPaths({
      listeners: [{ name: "t", protocol: "tcp", address: "127.0.0.1:9000", pool: "app", tracing: { sample_rate: 1 } }],
      pools: [{ name: "app" }],
    })).toEqual(["listeners[0].tracing"]);
    expect(invalidPaths({ listeners: [http({ tracing: { otlp_endpoint: "collector:4318" } })], pools: [{ name: "app" }] })).toEqual(["listeners[0].tracing.otlp_endpoint"]);
    expect(invalidPaths({ listeners: [http({ tracing: { otlp_endpoint: "ftp://x/" } })], pools: [{ name: "app" }] })).toEqual(["listeners[0].tracing.otlp_endpoint"]);
    expect(invalidPaths({ listeners: [http({ tracing: { sample_rate: 2 } })], pools: [{ name: "app" }] })).toEqual(["listeners[0].tracing.sample_rate"]);
    expect(invalidPaths({ listeners: [http({ routes: [{ name: "r", redirect: { scheme: "https" }, tracing: { sample_rate: 1 } }] })], pools: [{ name: "app" }] })).toEqual([
      "listeners[0].routes[0].redirect",
    ]);
  });
});
