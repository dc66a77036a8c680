import { LbError } from "../errors.ts";
import { ProbeConnection, StaleConnectionError, type ProbeResponse } from "./http-probe.ts";
import type { CheckSpec, CheckTarget, HealthCheck } from "./types.ts";

/** Bytes a config value may not put into a request head (CR/LF would inject lines). */
const UNSAFE_IN_PATH = /[^\x21-\x7e]/g;

/** The probe's request head for one backend (built once per backend, not per probe). */
function requestHead(spec: CheckSpec, target: CheckTarget): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const hostHeader = (spec.hostHeader ?? `${host}:${target.port}`).replace(/[\r\n]/g, "");
  const path = spec.path.replace(UNSAFE_IN_PATH, (c) => encodeURIComponent(c));
  return `${spec.method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: fulcrum-health\r\nAccept: */*\r\n${spec.reuseConnection ? "" : "Connection: close\r\n"}\r\n`;
}

/**
 * An HTTP/1.1 probe: `method path` with the configured Host header; passes when the final status
 * falls in one of the expected ranges and, if set, the first 64 KiB of the body contain `expectBody`.
 *
 * With `reuseConnection` (the default, Envoy's `reuse_connection: true`) each backend keeps ONE
 * keep-alive connection and every probe is sent on it, so a probe costs a write and a read instead
 * of a handshake and a close. The connection is dropped when the backend closes it or answers
 * `Connection: close`, and after any failed or timed-out probe, so the next probe proves that a
 * fresh connection can be made. Without it (HAProxy's way) each probe opens a connection and sends
 * `Connection: close`. `release` closes a backend's connection when the checker stops probing it.
 */
export function httpCheck(spec: CheckSpec): HealthCheck {
  const conns = new Map<string, ProbeConnection>();
  const heads = new Map<string, string>();
  const collect = spec.expectBody !== undefined;

  /** One exchange on the backend's kept connection (or a new one); any failure closes it. */
  async function exchange(target: CheckTarget, head: string, signal: AbortSignal): Promise<{ res: ProbeResponse; conn: ProbeConnection }> {
    let conn = spec.reuseConnection ? conns.get(target.key) : undefined;
    // A busy connection means an earlier probe of this backend is still being torn down: don't share it.
    if (!conn || !conn.usable || conn.busy) {
      conn = new ProbeConnection(target, spec.tls);
      if (spec.reuseConnection) conns.set(target.key, conn);
    }
    const onAbort = (): void => conn.fail(new LbError("UPSTREAM_TIMEOUT", `http check of ${target.key} timed out`));
    signal.addEventListener("abort", onAbort);
    try {
      return { res: await conn.exchange(head, spec.method, collect), conn };
    } catch (err) {
      conn.close();
      if (conns.get(target.key) === conn) conns.delete(target.key);
      throw err;
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  return {
    type: "http",
    async check(target: CheckTarget, signal: AbortSignal): Promise<void> {
      if (signal.aborted) throw new LbError("UPSTREAM_TIMEOUT", `http check of ${target.key} timed out`);
      let head = heads.get(target.key);
      if (head === undefined) heads.set(target.key, (head = requestHead(spec, target)));
      let got: { res: ProbeResponse; conn: ProbeConnection };
      try {
        got = await exchange(target, head, signal);
      } catch (err) {
        // The backend closed a kept connection just as the probe went out (its idle timeout):
        // that says nothing about its health, so the probe is made again on a fresh connection.
        if (!(err instanceof StaleConnectionError) || signal.aborted) throw err;
        got = await exchange(target, head, signal);
      }
      const { res, conn } = got;
      if (!spec.reuseConnection) conn.close();
      const pass = spec.expectStatus.some(([lo, hi]) => res.status >= lo && res.status <= hi);
      const error = !pass
        ? `status ${res.status}`
        : collect && !res.body.includes(spec.expectBody!)
          ? `body lacks "${spec.expectBody}"`
          : undefined;
      if (error === undefined) return;
      conn.close();
      if (conns.get(target.key) === conn) conns.delete(target.key);
      throw new LbError("UPSTREAM_PROTOCOL", `http check of ${target.key}: ${error}`);
    },
    release(target: CheckTarget): void {
      conns.get(target.key)?.fail(new LbError("UPSTREAM_RESET", `http check of ${target.key} stopped`));
      conns.delete(target.key);
      heads.delete(target.key);
    },
  };
}
