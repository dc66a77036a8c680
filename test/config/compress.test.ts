/**
 * `compress` on listeners and routes: defaults, media ranges split for matching, a route's fields
 * over the listener's one by one, `enabled: false`, and each refusal at its field's path.
 */
import { describe, expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { expectLbError, problemPaths } from "./helpers.ts";

const http = (extra: object = {}) => ({ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", ...extra });
const doc = (listener: object) => ({ listeners: [listener], pools: [{ name: "app", backends: [{ address: "127.0.0.1:9000" }] }] });
const compiled = (listener: object) => compileSnapshot(validateConfig(doc(listener)), 1).listeners[0]!;
const invalidPaths = (listener: object) => problemPaths(expectLbError(() => validateConfig(doc(listener)), "CONFIG_INVALID"));

describe("compress config", () => {
  test("an empty compress takes the defaults: br, zstd, gzip; Envoy's text types; 1 KiB; gzip 6, br 4, zstd 3", () => {
    expect(compiled(http({ compress: {} })).compress).toEqual({
      algorithms: ["br", "zstd", "gzip"],
      minBytes: 1024,
      types: ["text/html", "text/plain", "text/css", "text/xml", "text/javascript", "application/javascript", "application/json", "application/xml", "application/xhtml+xml", "image/svg+xml"],
      typePrefixes: [],
      anyType: false,
      levels: { gzip: 6, br: 4, zstd: 3 },
    });
    expect(compiled(http()).compress).toBeUndefined();
  });

  test("media ranges compile to exact types, families and any", () => {
    const c = compiled(http({ compress: { types: ["Text/*", "application/JSON", "*"] } })).compress!;
    expect([c.types, c.typePrefixes, c.anyType]).toEqual([["application/json"], ["text/"], true]);
  });

  test("a route without compress shares the listener's; one with fields overrides them one by one; enabled false is off", () => {
    const l = compiled(http({
      compress: { algorithms: ["gzip"], min_bytes: 10, levels: { gzip: 1, br: 9 } },
      routes: [
        { name: "same" },
        { name: "own", compress: { min_bytes: 99, levels: { br: 2 } } },
        { name: "off", compress: { enabled: false } },
      ],
    }));
    expect(l.routes[0]!.compress).toBe(l.compress!);
    expect(l.routes[1]!.compress).toMatchObject({ algorithms: ["gzip"], minBytes: 99, levels: { gzip: 1, br: 2, zstd: 3 } });
    expect(l.routes[2]!.compress).toBeUndefined();
    expect(compiled(http({ routes: [{ name: "only", compress: {} }] })).routes[0]!.compress?.algorithms).toEqual(["br", "zstd", "gzip"]);
  });

  test("refuses what it cannot apply, each at its field", () => {
    expect(invalidPaths(http({ compress: { algorithms: ["gzip", "deflate"] } }))).toEqual(["listeners[0].compress.algorithms[1]"]);
    expect(invalidPaths(http({ compress: { algorithms: [] } }))).toEqual(["listeners[0].compress.algorithms"]);
    expect(invalidPaths(http({ compress: { algorithms: ["br", "br"] } }))).toEqual(["listeners[0].compress.algorithms"]);
    expect(invalidPaths(http({ compress: { types: ["text", "text/html; charset=utf-8", "*/html"] } }))).toEqual([
      "listeners[0].compress.types[0]", "listeners[0].compress.types[1]", "listeners[0].compress.types[2]",
    ]);
    expect(invalidPaths(http({ compress: { min_bytes: -1 } }))).toEqual(["listeners[0].compress.min_bytes"]);
    expect(invalidPaths(http({ compress: { levels: { gzip: 0, br: 12, zstd: 20 } } }))).toEqual([
      "listeners[0].compress.levels.br", "listeners[0].compress.levels.gzip", "listeners[0].compress.levels.zstd",
    ]);
    expect(invalidPaths(http({ compress: { level: 5 } }))).toEqual(["listeners[0].compress.level"]);
    expect(invalidPaths(http({ protocol: "tcp", compress: {} }))).toEqual(["listeners[0].compress"]);
    expect(invalidPaths(http({ routes: [{ name: "r", compress: { algorithms: ["lz4"] } }] }))).toEqual(["listeners[0].routes[0].compress.algorithms[0]"]);
  });
});
