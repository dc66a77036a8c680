import { expect, test } from "bun:test";
import { compileSnapshot, validateConfig } from "../../src/config/index.ts";
import { expectLbError, problemPaths } from "../config/helpers.ts";

const pools = [{ name: "dns", backends: [{ address: "10.0.0.1:53" }] }];
const udp = (extra: object = {}) => ({ name: "dns-in", protocol: "udp", address: "127.0.0.1:5353", pool: "dns", ...extra });
const invalidPaths = (listener: object) =>
  problemPaths(expectLbError(() => validateConfig({ listeners: [listener], pools }), "CONFIG_INVALID"));

test("a udp listener's flow table settings are accepted and compiled", () => {
  const doc = validateConfig({ listeners: [udp({ udp: { max_flows: 8, min_idle_ms: 250 } })], pools });
  expect(doc.listeners[0]!.udp).toEqual({ max_flows: 8, min_idle_ms: 250 });
  expect(compileSnapshot(doc, 1).listeners[0]!.udp).toEqual({ maxFlows: 8, minIdleMs: 250 });
});

test("a udp listener without them gets 65,536 flows and 1,000 ms, or max_connections flows", () => {
  const plain = compileSnapshot(validateConfig({ listeners: [udp()], pools }), 1);
  expect(plain.listeners[0]!.udp).toEqual({ maxFlows: 65_536, minIdleMs: 1_000 });
  const capped = compileSnapshot(validateConfig({ listeners: [udp({ max_connections: 100, udp: { min_idle_ms: 0 } })], pools }), 1);
  expect(capped.listeners[0]!.udp).toEqual({ maxFlows: 100, minIdleMs: 0 });
});

test("a bad value is refused with a problem naming the field", () => {
  expect(invalidPaths(udp({ udp: { max_flows: 0 } }))).toEqual(["listeners[0].udp.max_flows"]);
  expect(invalidPaths(udp({ udp: { max_flows: 1.5 } }))).toEqual(["listeners[0].udp.max_flows"]);
  expect(invalidPaths(udp({ udp: { min_idle_ms: -1 } }))).toEqual(["listeners[0].udp.min_idle_ms"]);
  expect(invalidPaths(udp({ udp: { min_idle_ms: "1s" } }))).toEqual(["listeners[0].udp.min_idle_ms"]);
  expect(invalidPaths(udp({ udp: { max_flow: 8 } }))).toEqual(["listeners[0].udp.max_flow"]);
});

test("the udp block is refused on a listener that is not udp", () => {
  expect(invalidPaths(udp({ protocol: "tcp", udp: { max_flows: 8 } }))).toEqual(["listeners[0].udp"]);
});
