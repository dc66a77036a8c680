import { LbError } from "../errors.ts";
import type { CheckTarget, HealthCheck } from "./types.ts";

/**
 * Opens a TCP (or, with `tls`, a TLS) connection to the backend; with `send`, writes it and
 * waits for a reply containing `expect`. Passing means the whole exchange finished in time.
 */
export function tcpCheck(opts: { send?: string; expect?: string; tls?: { serverName?: string } }): HealthCheck {
  const type = opts.tls ? "tls" : "tcp";
  return {
    type,
    check(target: CheckTarget, signal: AbortSignal): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        let received = "";
        let done = false;
        let sock: { terminate(): void } | undefined;
        const finish = (err?: LbError): void => {
          if (done) return;
          done = true;
          signal.removeEventListener("abort", onAbort);
          // An abortive close (RST), as HAProxy closes its checks: no FIN exchange and no
          // TIME_WAIT left behind, which at 1,000 checks a second piles up to ~60,000 sockets.
          sock?.terminate();
          if (err) reject(err);
          else resolve();
        };
        const onAbort = (): void => finish(new LbError("UPSTREAM_TIMEOUT", `${type} check of ${target.key} timed out`));
        signal.addEventListener("abort", onAbort);
        const ready = (s: { write(d: string): number; terminate(): void }): void => {
          sock = s;
          if (opts.send !== undefined) s.write(opts.send);
          if (opts.expect === undefined) finish();
        };
        Bun.connect({
          hostname: target.host,
          port: target.port,
          tls: opts.tls ? { serverName: opts.tls.serverName ?? target.host, rejectUnauthorized: false } : undefined,
          socket: {
            open(s) {
              // Kept from the start so a check that times out mid-handshake still closes it.
              sock = s;
              if (done) s.terminate();
              else if (!opts.tls) ready(s);
            },
            // `success` also reflects certificate verification, which a liveness probe does not
            // judge (HAProxy's check-ssl without verify behaves the same): a handshake that ended
            // with a peer certificate passes, a protocol failure (EPROTO, no certificate) fails.
            handshake(s, success, authError) {
              if (done) return;
              const cert = (s as unknown as { getPeerCertificate?(): object | undefined }).getPeerCertificate?.();
              if (success || (cert !== undefined && Object.keys(cert).length > 0)) ready(s);
              else finish(new LbError("UPSTREAM_PROTOCOL", `TLS handshake with ${target.key} failed: ${authError?.message ?? "unknown"}`));
            },
            data(_s, data) {
              received += data.toString("latin1");
              if (opts.expect !== undefined && received.includes(opts.expect)) finish();
              else if (received.length > 65536) finish(new LbError("UPSTREAM_PROTOCOL", `${target.key} never sent the expected bytes`));
            },
            close() {
              // Also fires after our own end() on success: build no error then.
              if (!done) finish(new LbError("UPSTREAM_RESET", `${target.key} closed before the check completed`));
            },
            error(_s, err) {
              finish(new LbError("UPSTREAM_CONNECT_FAILED", `${type} check of ${target.key}: ${err.message}`, { cause: err }));
            },
            connectError(_s, err) {
              finish(new LbError("UPSTREAM_CONNECT_FAILED", `${type} check of ${target.key}: ${err.message}`, { cause: err }));
            },
          },
        }).catch((err: unknown) => {
          finish(new LbError("UPSTREAM_CONNECT_FAILED", `${type} check of ${target.key}: ${String(err)}`, { cause: err }));
        });
      });
    },
  };
}
