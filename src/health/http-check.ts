import { LbError } from "../errors.ts";
import type { CheckSpec, CheckTarget, HealthCheck } from "./types.ts";

const MAX_BODY_BYTES = 64 * 1024;

/**
 * An HTTP/1.1 probe: `method path` with the configured Host header; passes when the status falls
 * in one of the expected ranges and, if set, the first 64 KiB of the body contain `expectBody`.
 * Health probes are off the hot path, so `fetch` (with keep-alive off, so every probe proves a
 * fresh connection can be made) is the simplest correct client.
 */
export function httpCheck(spec: CheckSpec): HealthCheck {
  return {
    type: "http",
    async check(target: CheckTarget, signal: AbortSignal): Promise<void> {
      const host = target.host.includes(":") ? `[${target.host}]` : target.host;
      const url = `http://${host}:${target.port}${spec.path}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method: spec.method,
          headers: { host: spec.hostHeader ?? `${host}:${target.port}`, "user-agent": "fulcrum-health", connection: "close" },
          signal,
          redirect: "manual",
          keepalive: false,
          decompress: false,
        } as RequestInit);
      } catch (err) {
        const code = signal.aborted ? "UPSTREAM_TIMEOUT" : "UPSTREAM_CONNECT_FAILED";
        throw new LbError(code, `http check of ${target.key}: ${signal.aborted ? "timed out" : String(err)}`, { cause: err });
      }
      const pass = spec.expectStatus.some(([lo, hi]) => res.status >= lo && res.status <= hi);
      if (!pass) {
        await res.body?.cancel();
        throw new LbError("UPSTREAM_PROTOCOL", `http check of ${target.key}: status ${res.status}`);
      }
      if (spec.expectBody === undefined) {
        await res.body?.cancel();
        return;
      }
      const body = await readPrefix(res, MAX_BODY_BYTES);
      if (!body.includes(spec.expectBody)) {
        throw new LbError("UPSTREAM_PROTOCOL", `http check of ${target.key}: body lacks "${spec.expectBody}"`);
      }
    },
  };
}

async function readPrefix(res: Response, limit: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  let text = "";
  const decoder = new TextDecoder();
  while (text.length < limit) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}
