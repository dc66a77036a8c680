/**
 * `fulcrum status` against a real node: every listener, pool and backend with its health and the
 * req/s of traffic just sent; `--watch` redraws until SIGINT (exit 0); a wrong token, an
 * unreachable node and a bad flag are said plainly, with exit codes 1, 1 and 2.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { killAll, runFulcrum, spawnFulcrum } from "../helpers/process.ts";
import { deadAddress, removeTempDirs, until } from "../integration/helpers/l7-node.ts";
import { startDashboardNode, TOKEN, type DashboardNode } from "../admin/ui/helpers/node.ts";

let n: DashboardNode;
const env = { FULCRUM_ADMIN_TOKEN: TOKEN };

beforeAll(async () => {
  n = await startDashboardNode();
});

afterAll(async () => {
  await killAll();
  n?.stop();
  removeTempDirs();
});

describe("fulcrum status", () => {
  test("prints every listener, pool and backend with health and the req/s just sent", async () => {
    const port = await n.port("web");
    const end = Date.now() + 2500;
    while (Date.now() < end) {
      await Promise.all(Array.from({ length: 4 }, () => fetch(`http://127.0.0.1:${port}/`).then((r) => r.arrayBuffer())));
      await Bun.sleep(20);
    }
    // Healthy once the first checks passed, and the last samples hold the load.
    await until(async () => (await n.admin("/v1/status")).pools[0].backends.every((b: any) => b.health === "healthy"), 5000);
    const r = await runFulcrum(["status", "--admin", n.url], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^fulcrum http:\/\/127\.0\.0\.1:\d+ · revision 1 · ready · /);
    const web = lines.find((l) => l.startsWith("web "))!;
    expect(web).toContain("http");
    expect(web).toContain(`127.0.0.1:${port}`);
    expect(Number(web.split(/\s+/)[4])).toBeGreaterThan(10);
    expect(lines.find((l) => l.startsWith("raw "))).toContain("tcp");
    expect(lines.find((l) => l.startsWith("app (round_robin)"))).toContain("3/3 up");
    expect(lines.find((l) => l.startsWith("hash (maglev)"))).toContain("2/2 up");
    for (const b of [n.a, n.b, n.c]) {
      const row = lines.find((l) => l.trim().startsWith(b.address) && l.includes("healthy"));
      expect(row, b.address).toBeDefined();
      expect(Number(row!.trim().split(/\s+/)[4])).toBeGreaterThan(2);
    }
    // Piped output carries no colour codes.
    expect(r.stdout).not.toContain("\x1b[");
  });

  test("--watch redraws each interval until SIGINT, then exits 0", async () => {
    const w = spawnFulcrum(["status", "--watch", "--interval", "0.3", "--admin", n.url], env);
    await until(() => (w.stdout().match(/· revision 1 ·/g) ?? []).length >= 3, 8000);
    expect(await w.kill("SIGINT")).toBe(0);
  });

  test("a wrong token, an unreachable node and a bad flag are said plainly", async () => {
    const wrong = await runFulcrum(["status", "--admin", n.url], { FULCRUM_ADMIN_TOKEN: "wrong" });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("UNAUTHORIZED");
    const dead = await runFulcrum(["status", "--admin", deadAddress()], env);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toContain("cannot reach the admin API");
    for (const args of [["--bogus"], ["--interval", "0"], ["--interval", "soon"], ["extra"]]) {
      const bad = await runFulcrum(["status", ...args, "--admin", n.url], env);
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr).toContain("fulcrum status: INVALID_ARGUMENT");
    }
  });
});
