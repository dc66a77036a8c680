import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, runFulcrum, spawnFulcrum, type Running } from "../helpers/process.ts";

afterAll(killAll);

/** Runs one printed command through a shell, as a newcomer pasting it would (bounded). */
async function shell(cmd: string, timeoutMs = 10_000): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(["bash", "-c", cmd], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out };
}

/** One request through the proxy with the example key: the backend's name, or the failure. */
async function askAs(proxy: string, key: string | undefined): Promise<{ status: number; backend: string }> {
  try {
    const res = await fetch(`${proxy}/`, { headers: key ? { "x-user": key } : {}, signal: AbortSignal.timeout(3000) });
    const body = await res.text();
    return { status: res.status, backend: /^hello from (demo-\d) /.exec(body)?.[1] ?? `?${body.trim()}` };
  } catch (e) {
    return { status: 0, backend: `?${(e as Error).message}` };
  }
}

interface Guide {
  proxy: string;
  admin: string;
  backends: Map<string, string>;
  victim: string;
  commands: string[];
}

function parseGuide(text: string): Guide {
  const proxy = /^ {2}proxy +(http:\/\/127\.0\.0\.1:\d+)/m.exec(text)?.[1];
  const admin = /^ {2}admin +(http:\/\/127\.0\.0\.1:\d+)/m.exec(text)?.[1];
  const backends = new Map([...text.matchAll(/(demo-\d) +http:\/\/(127\.0\.0\.1:\d+)/g)].map((m) => [m[1]!, m[2]!] as const));
  const victim = /Crash (demo-\d),/.exec(text)?.[1];
  const commands = [...text.matchAll(/^ {5}((?:curl|for) .+)$/gm)].map((m) => m[1]!);
  if (!proxy || !admin || !victim) throw new Error(`guide not understood:\n${text}`);
  return { proxy, admin, backends, victim, commands };
}

describe("fulcrum demo", () => {
  let demo: Running;
  let guide: Guide;
  const cwd = mkdtempSync(join(tmpdir(), "fulcrum-demo-test-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  test("prints a guide with the real ports of the proxy, the admin API and three backends", async () => {
    demo = spawnFulcrum(["demo", "--port", "0", "--admin", "127.0.0.1:0"], {}, cwd);
    await demo.waitFor(/Stop the demo with Ctrl-C/, 20_000);
    guide = parseGuide(demo.stdout());
    expect([...guide.backends.keys()].sort()).toEqual(["demo-1", "demo-2", "demo-3"]);
    for (const address of guide.backends.values()) expect(address).not.toMatch(/:0$/);
    expect(guide.proxy).not.toMatch(/:0$/);
    expect(guide.commands.length).toBeGreaterThanOrEqual(7);
    // :memory: by default: nothing lands in the working folder.
    expect(existsSync(join(cwd, "fulcrum.db"))).toBe(false);
  }, 30_000);

  test("all three backends answer through the proxy", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 90 && seen.size < 3; i++) {
      const r = await askAs(guide.proxy, undefined);
      expect(r.status).toBe(200);
      seen.add(r.backend);
    }
    expect([...seen].sort()).toEqual(["demo-1", "demo-2", "demo-3"]);
  }, 30_000);

  test("every command but the crash works as printed", async () => {
    const [one, loop, api, status, metrics] = guide.commands;
    expect((await shell(one!)).out).toMatch(/^hello from demo-\d \(127\.0\.0\.1:\d+\): GET \/\n$/);
    const lines = (await shell(loop!)).out.trim().split("\n");
    expect(lines).toHaveLength(6);
    expect(new Set(lines).size).toBe(1); // Maglev: one key, one backend
    expect(lines[0]).toStartWith(`hello from ${guide.victim} `);
    expect((await shell(api!)).out).toMatch(/^hello from demo-\d .*: GET \/hello\n$/);
    const s = JSON.parse((await shell(status!)).out) as { listeners: { bound: boolean }[]; pools: { backends: { health: string }[] }[] };
    expect(s.listeners[0]!.bound).toBe(true);
    expect(s.pools[0]!.backends.map((b) => b.health)).toEqual(["healthy", "healthy", "healthy"]);
    expect((await shell(metrics!)).out).toContain("fulcrum_backend_requests_total");
  }, 30_000);

  test("the printed crash command moves traffic away without a failed request, and back after the pause", async () => {
    const crash = guide.commands.find((c) => c.includes("/admin/crash"));
    expect(crash).toBe(`curl -s -X POST http://${guide.backends.get(guide.victim)}/admin/crash`);
    const r = await shell(crash!);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${guide.victim} crashed`);

    // Away: the key lands elsewhere at once (retries), nothing fails while health checks catch up.
    const landed = new Set<string>();
    const failures: string[] = [];
    const until = Date.now() + 4000;
    while (Date.now() < until) {
      const a = await askAs(guide.proxy, "alice");
      if (a.status !== 200) failures.push(`${a.status} ${a.backend}`);
      landed.add(a.backend);
      await Bun.sleep(50);
    }
    expect(failures).toEqual([]);
    expect(landed.has(guide.victim)).toBe(false);
    expect(landed.size).toBeGreaterThanOrEqual(1);
    await demo.waitFor(new RegExp(`health: pool demo backend ${guide.backends.get(guide.victim)} unhealthy`), 5000);

    // Back: 15 s down, then two passing checks a second apart.
    let back = false;
    const deadline = Date.now() + 25_000;
    while (!back && Date.now() < deadline) {
      const a = await askAs(guide.proxy, "alice");
      expect(a.status).toBe(200);
      back = a.backend === guide.victim;
      if (!back) await Bun.sleep(250);
    }
    expect(back).toBe(true);
  }, 45_000);

  test("SIGTERM stops everything and exits 0", async () => {
    expect(await demo.kill("SIGTERM")).toBe(0);
    expect(demo.stdout()).toContain("SIGTERM: stopping the demo");
    for (const address of [...guide.backends.values(), guide.proxy.slice("http://".length)]) {
      const refused = await fetch(`http://${address}/`, { signal: AbortSignal.timeout(2000) }).then(() => false, () => true);
      expect(refused).toBe(true);
    }
  }, 15_000);
});

test("a busy proxy port is refused up front with what to do next", async () => {
  const squatter = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const r = await runFulcrum(["demo", "--port", String(squatter.port), "--admin", "127.0.0.1:0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`port ${squatter.port} on 127.0.0.1 is in use`);
    expect(r.stderr).toContain("--port 0");
  } finally {
    squatter.stop(true);
  }
}, 20_000);
