/**
 * The behaviours every active health checker shares, run against real backends on loopback: the
 * in-thread HealthChecker and the WorkerHealthChecker each call this with their own factory.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveCheckSpec, type ActiveHealthChecker } from "../../src/health/index.ts";

export type Flip = { pool: string; backend: string; healthy: boolean; at: number };

/** Makes a checker that records its flips in `flips`. */
export type CheckerFactory = () => { flips: Flip[]; checker: ActiveHealthChecker };

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

export function runCheckerContract(title: string, recorder: CheckerFactory): void {
  const servers: { stop(force?: boolean): void }[] = [];
  afterAll(() => servers.forEach((s) => s.stop(true)));

  describe(`${title} with real backends on loopback`, () => {
    test("http: detects a failing backend within interval x unhealthy_threshold + timeout, and its return", async () => {
      let failing = false;
      let hits = 0;
      const origin = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        fetch(req) {
          hits++;
          if (new URL(req.url).pathname !== "/healthz") return new Response("wrong path", { status: 404 });
          return failing ? new Response("down", { status: 503 }) : new Response("ok");
        },
      });
      servers.push(origin);
      const key = `127.0.0.1:${origin.port}`;
      const spec = resolveCheckSpec({ interval_ms: 50, timeout_ms: 200, healthy_threshold: 2, unhealthy_threshold: 3, path: "/healthz", jitter: 0 });
      const { flips, checker } = recorder();
      checker.setPool("app", spec, [key]);
      await until(() => hits >= 2, 2000);
      expect(checker.healthy("app", key)).toBe(true);
      const failedAt = performance.now();
      failing = true;
      await until(() => flips.length === 1, 3000);
      expect(flips[0]).toMatchObject({ pool: "app", backend: key, healthy: false });
      // Unhealthy probes run at half the interval; the bound is the healthy-interval one plus slack for a busy 2-core box.
      expect(flips[0]!.at - failedAt).toBeLessThan(50 * 3 + 200 + 250);
      failing = false;
      await until(() => flips.length === 2, 3000);
      expect(flips[1]!.healthy).toBe(true);
      checker.stop();
    });

    test("http: a refused connection and a missing body substring both fail", async () => {
      const origin = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("status: degraded") });
      servers.push(origin);
      const { flips, checker } = recorder();
      const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const deadKey = `127.0.0.1:${dead.port}`;
      dead.stop(true);
      const spec = resolveCheckSpec({ interval_ms: 30, timeout_ms: 200, unhealthy_threshold: 2, body: "status: ok", jitter: 0 });
      checker.setPool("p", spec, [deadKey, `127.0.0.1:${origin.port}`]);
      await until(() => flips.length === 2, 3000);
      expect(flips.every((f) => !f.healthy)).toBe(true);
      expect(checker.view().every((v) => v.lastError !== undefined)).toBe(true);
      checker.stop();
    });

    test("tcp: send/expect exchange passes against a real listener and fails on the wrong reply", async () => {
      const listener = Bun.listen({
        hostname: "127.0.0.1",
        port: 0,
        socket: { data(s, d) { s.write(d.toString() === "PING\r\n" ? "+PONG\r\n" : "-ERR\r\n"); } },
      });
      servers.push(listener);
      const key = `127.0.0.1:${listener.port}`;
      const good = recorder();
      good.checker.setPool("redis", resolveCheckSpec({ type: "tcp", interval_ms: 30, initial: "pessimistic", healthy_threshold: 2, send: "PING\r\n", expect: "+PONG" }), [key]);
      await until(() => good.flips.length === 1, 3000);
      expect(good.flips[0]!.healthy).toBe(true);
      good.checker.stop();
      const bad = recorder();
      bad.checker.setPool("redis", resolveCheckSpec({ type: "tcp", interval_ms: 30, timeout_ms: 100, unhealthy_threshold: 1, send: "PING\r\n", expect: "+OK" }), [key]);
      await until(() => bad.flips.length === 1, 3000);
      expect(bad.flips[0]!.healthy).toBe(false);
      bad.checker.stop();
    });

    test("tls: a completed handshake passes; a plain-TCP listener fails", async () => {
      const dir = mkdtempSync(join(tmpdir(), "fulcrum-tls-"));
      const gen = Bun.spawnSync(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
        "-subj", "/CN=localhost", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stderr: "pipe" });
      expect(gen.exitCode).toBe(0);
      const tlsOrigin = Bun.serve({
        port: 0,
        hostname: "127.0.0.1",
        tls: { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") },
        fetch: () => new Response("ok"),
      });
      const plain = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
      servers.push(tlsOrigin, plain);
      const { flips, checker } = recorder();
      const spec = resolveCheckSpec({ type: "tls", interval_ms: 30, timeout_ms: 300, initial: "pessimistic", healthy_threshold: 1, unhealthy_threshold: 1 });
      checker.setPool("secure", spec, [`127.0.0.1:${tlsOrigin.port}`, `127.0.0.1:${plain.port}`]);
      await until(() => checker.view().every((v) => v.checks >= 3), 5000);
      expect(checker.view().find((v) => v.backend === `127.0.0.1:${tlsOrigin.port}`)?.lastError).toBeUndefined();
      expect(checker.healthy("secure", `127.0.0.1:${tlsOrigin.port}`)).toBe(true);
      expect(checker.healthy("secure", `127.0.0.1:${plain.port}`)).toBe(false);
      expect(flips.filter((f) => f.healthy).map((f) => f.backend)).toEqual([`127.0.0.1:${tlsOrigin.port}`]);
      checker.stop();
    });

    test("reconciling a pool stops probing removed backends and keeps the state of the rest", async () => {
      const hits = new Map<number, number>();
      const mk = () => {
        const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => { hits.set(s.port!, (hits.get(s.port!) ?? 0) + 1); return new Response("ok"); } });
        servers.push(s);
        return s;
      };
      const a = mk();
      const b = mk();
      const spec = resolveCheckSpec({ interval_ms: 20, jitter: 0 });
      const { checker } = recorder();
      checker.setPool("app", spec, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);
      await until(() => (hits.get(b.port!) ?? 0) >= 2, 2000);
      checker.setPool("app", spec, [`127.0.0.1:${a.port}`]);
      const frozen = hits.get(b.port!) ?? 0;
      const aBefore = hits.get(a.port!) ?? 0;
      await Bun.sleep(120);
      expect(hits.get(b.port!) ?? 0).toBeLessThanOrEqual(frozen + 1);
      expect(hits.get(a.port!) ?? 0).toBeGreaterThan(aBefore);
      expect(checker.view().map((v) => v.backend)).toEqual([`127.0.0.1:${a.port}`]);
      checker.stop();
    });

    test("a changed check keeps a dead backend out instead of re-admitting it optimistically", async () => {
      const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const key = `127.0.0.1:${dead.port}`;
      dead.stop(true);
      const { flips, checker } = recorder();
      checker.setPool("p", resolveCheckSpec({ type: "tcp", interval_ms: 20, timeout_ms: 20, unhealthy_threshold: 1, jitter: 0 }), [key]);
      await until(() => flips.length === 1, 3000);
      expect(checker.healthy("p", key)).toBe(false);
      checker.setPool("p", resolveCheckSpec({ type: "tcp", interval_ms: 40, timeout_ms: 20, unhealthy_threshold: 1, jitter: 0 }), [key]);
      expect(checker.healthy("p", key)).toBe(false);
      await Bun.sleep(150);
      expect(checker.healthy("p", key)).toBe(false);
      expect(flips.length).toBe(1);
      checker.stop();
    });
  });
}
