/**
 * Issue 14 with the compiled binary: `bun run build`'s dist/fulcrum, started from another folder
 * with 2 workers (the worker entry must be embedded), upgraded to itself under wrk keep-alive load
 * by `dist/fulcrum upgrade`: no request fails, the new process serves, the old one exits 0.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startBackend, type TestBackend } from "../integration/helpers-resilience/backend.ts";
import { until } from "../integration/helpers/l7-node.ts";
import { startWrk } from "../integration/helpers/wrk-load.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BIN = join(ROOT, "dist", "fulcrum");
const dir = mkdtempSync(join(tmpdir(), "fulcrum-binary-upgrade-"));
const pids = new Set<number>();
let backend: TestBackend | undefined;

afterAll(() => {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  backend?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test("dist/fulcrum --workers 2, upgraded to itself under wrk: no failed request, the old process exits 0", async () => {
  const build = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` } });
  expect(build.exitCode).toBe(0);
  backend = startBackend("bin");
  writeFileSync(join(dir, "f.json"), JSON.stringify({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", backends: [{ address: backend.address }] }],
  }));
  const old = Bun.spawn([BIN, "start", "--config", "f.json", "--db", "f.db", "--admin", "127.0.0.1:0", "--workers", "2", "--drain-timeout-ms", "2000"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  pids.add(old.pid);
  let log = "";
  void (async () => {
    for await (const chunk of old.stdout) log += new TextDecoder().decode(chunk);
  })();
  await until(() => /admin listening on (http:\S+)/.test(log), 15_000);
  const admin = /admin listening on (http:\S+)/.exec(log)![1]!;
  const status = async () => await (await fetch(`${admin}/v1/status`)).json() as any;
  const port = Number((await status()).listeners[0].address.split(":").pop());
  const load = startWrk(port, 4, 32);
  await Bun.sleep(700);
  const up = Bun.spawn([BIN, "upgrade", "--admin", admin], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  expect(await up.exited).toBe(0);
  let next = 0;
  await until(async () => (next = (await status()).node.pid) !== old.pid, 15_000);
  pids.add(next);
  expect(await old.exited).toBe(0);
  const w = await load;
  expect({ non2xx: w.non2xx, connect: w.connectErrors, read: w.readErrors, write: w.writeErrors, timeouts: w.timeouts }).toEqual({ non2xx: 0, connect: 0, read: 0, write: 0, timeouts: 0 });
  expect((await status()).node.upgraded_from).toBe(old.pid);
}, 60_000);
