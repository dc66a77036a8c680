/**
 * The TCP relay's limits default when the caller leaves them unset, and also when it passes them
 * as undefined: the runtime passes config fields straight through (a listener without
 * max_connections; a tls_passthrough listener without a default pool has no connect timeout).
 * Before, a spread let undefined replace the default: no connection limit at all, connect
 * deadlines of NaN that never fired, and a sweeper period of NaN (Bun runs that every 1 ms).
 */
import { expect, test } from "bun:test";
import { RELAY_DEFAULTS, sweepTickMs, withRelayDefaults, type TcpRelayOptions, type UpstreamAddress } from "../../src/l4/index.ts";

const base: TcpRelayOptions<UpstreamAddress> = { hostname: "127.0.0.1", port: 0, choose: () => undefined };

test("limits passed as undefined get their defaults, as unset ones do", () => {
  const o = withRelayDefaults({ ...base, maxConnections: undefined, connectTimeoutMs: undefined, idleTimeoutMs: undefined, preambleTimeoutMs: undefined });
  expect(o.maxConnections).toBe(65_536);
  expect(o.connectTimeoutMs).toBe(RELAY_DEFAULTS.connectTimeoutMs);
  expect(o.idleTimeoutMs).toBe(RELAY_DEFAULTS.idleTimeoutMs);
  expect(o.preambleTimeoutMs).toBe(RELAY_DEFAULTS.preambleTimeoutMs);
  expect(withRelayDefaults(base)).toEqual(o);
  expect(sweepTickMs(o)).toBe(500);
});

test("limits given are kept, zero included", () => {
  const o = withRelayDefaults({ ...base, maxConnections: 50, connectTimeoutMs: 200, idleTimeoutMs: 0 });
  expect([o.maxConnections, o.connectTimeoutMs, o.idleTimeoutMs]).toEqual([50, 200, 0]);
  expect(sweepTickMs(o)).toBe(50);
});
