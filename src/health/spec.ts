import { LbError } from "../errors.ts";
import type { CheckSpec } from "./types.ts";

/** The health_check section of a pool as the config document spells it (snake_case). */
export interface HealthCheckConfig {
  type?: "http" | "tcp" | "tls" | "grpc";
  service?: string;
  interval_ms?: number;
  unhealthy_interval_ms?: number;
  timeout_ms?: number;
  jitter?: number;
  healthy_threshold?: number;
  unhealthy_threshold?: number;
  initial?: "optimistic" | "pessimistic";
  method?: string;
  path?: string;
  host?: string;
  expected_status?: readonly (number | string)[];
  body?: string;
  reuse_connection?: boolean;
  send?: string;
  expect?: string;
  server_name?: string;
}

/** Parses "200", "200-399" into an inclusive range; throws CONFIG_INVALID otherwise. */
export function parseStatusRange(s: string): [number, number] {
  const m = /^([1-5]\d\d)(?:-([1-5]\d\d))?$/.exec(s.trim());
  if (!m) throw new LbError("CONFIG_INVALID", `status range "${s}" must look like 200 or 200-399`);
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo) throw new LbError("CONFIG_INVALID", `status range "${s}" ends before it starts`);
  return [lo, hi];
}

/** Fills every default of a pool's health_check (the values HAProxy and Envoy users expect). */
export function resolveCheckSpec(c: HealthCheckConfig): CheckSpec {
  const intervalMs = c.interval_ms ?? 2000;
  return {
    type: c.type ?? "http",
    intervalMs,
    unhealthyIntervalMs: c.unhealthy_interval_ms ?? Math.max(100, Math.floor(intervalMs / 2)),
    timeoutMs: c.timeout_ms ?? Math.min(1000, intervalMs),
    jitter: c.jitter ?? 0.1,
    healthyThreshold: c.healthy_threshold ?? 2,
    unhealthyThreshold: c.unhealthy_threshold ?? 3,
    initial: c.initial ?? "optimistic",
    method: c.method ?? "GET",
    path: c.path ?? "/",
    hostHeader: c.host,
    expectStatus: (c.expected_status ?? ["200-399"]).map((s) => parseStatusRange(String(s))),
    expectBody: c.body,
    reuseConnection: c.reuse_connection ?? true,
    send: c.send,
    expect: c.expect,
    serverName: c.server_name,
    service: c.service ?? "",
  };
}
