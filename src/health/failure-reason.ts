/**
 * Why a probe failed, said short, for the flip log and /v1/status: `timeout after 1000 ms`,
 * `status 503`, `connection refused`. The backend is named beside it already, so the checks'
 * "http check of 10.0.0.1:80: ..." prefix is dropped, and a socket error is named by its errno,
 * not by Bun's "Failed to connect".
 */

/** errno codes an operator reads faster as words. */
const ERRNO: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EPIPE: "connection reset",
  ETIMEDOUT: "connect timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EADDRNOTAVAIL: "address not available",
  ENOTFOUND: "name not resolved",
  EAI_AGAIN: "name not resolved",
};

/** The first errno-like `code` on `err` or its causes. */
function errnoOf(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && ERRNO[code] !== undefined) return code;
  }
  return undefined;
}

/**
 * The reason for a failed probe of `key`: `timedOut` (the checker's timer fired) wins, then a known
 * errno, then the error's own message without the check's prefix.
 */
export function failureReason(err: unknown, key: string, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  const code = errnoOf(err);
  if (code !== undefined) return ERRNO[code]!;
  const message = err instanceof Error ? err.message : String(err);
  const prefixed = /^(?:http|tcp|tls) check of (\S+?):? /.exec(message);
  if (prefixed && prefixed[1] === key) return message.slice(prefixed[0].length);
  return message.startsWith(`${key} `) ? message.slice(key.length + 1) : message;
}
