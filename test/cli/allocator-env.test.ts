/**
 * The allocator settings (issue 17): a node started without MIMALLOC_PURGE_DELAY and
 * MIMALLOC_PURGE_DECOMMITS re-executes itself in place with them, from source and as a compiled
 * binary: same PID, same arguments, inherited file descriptors still open, an operator's own value
 * kept. What the process sees is read from /proc/PID/environ, which is what mimalloc read at start.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALLOCATOR_ENV, missingAllocatorEnv } from "../../src/cli/allocator-env.ts";
import { killAll, spawnFulcrum } from "../helpers/process.ts";

const work = mkdtempSync(join(tmpdir(), "fulcrum-allocator-env-"));
afterAll(async () => {
  await killAll();
  rmSync(work, { recursive: true, force: true });
});

const NONE = { MIMALLOC_PURGE_DELAY: undefined, MIMALLOC_PURGE_DECOMMITS: undefined };

/** The MIMALLOC_* entries of /proc/PID/environ. */
function mimallocEnv(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readFileSync(`/proc/${pid}/environ`, "latin1").split("\0")) {
    const i = e.indexOf("=");
    if (e.startsWith("MIMALLOC_")) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

test("lists the settings a given environment lacks; one set to anything counts as set", () => {
  expect(missingAllocatorEnv({})).toEqual(["MIMALLOC_PURGE_DELAY=-1", "MIMALLOC_PURGE_DECOMMITS=0"]);
  expect(missingAllocatorEnv({ MIMALLOC_PURGE_DELAY: "10" })).toEqual(["MIMALLOC_PURGE_DECOMMITS=0"]);
  expect(missingAllocatorEnv({ ...ALLOCATOR_ENV })).toEqual([]);
  expect(missingAllocatorEnv({ MIMALLOC_PURGE_DELAY: "", MIMALLOC_PURGE_DECOMMITS: "" })).toEqual([]);
});

describe.skipIf(process.platform !== "linux")("fulcrum start from source", () => {
  test("started without the settings, it runs with them under the same PID and arguments", async () => {
    const node = spawnFulcrum(["start", "--db", ":memory:", "--admin", "127.0.0.1:0"], NONE);
    const [, pid] = await node.waitFor(/started \(pid (\d+)\)/, 20_000);
    expect(Number(pid)).toBe(node.pid);
    expect(mimallocEnv(node.pid)).toEqual({ MIMALLOC_PURGE_DELAY: "-1", MIMALLOC_PURGE_DECOMMITS: "0" });
    const cmdline = readFileSync(`/proc/${node.pid}/cmdline`, "latin1").split("\0").slice(1, -1);
    expect(cmdline.slice(1)).toEqual(["start", "--db", ":memory:", "--admin", "127.0.0.1:0"]);
    expect(await node.kill("SIGTERM")).toBe(0);
  }, 30_000);

  test("an operator's value is kept, and only the missing setting is added", async () => {
    const node = spawnFulcrum(["start", "--db", ":memory:", "--admin", "127.0.0.1:0"], { MIMALLOC_PURGE_DELAY: "10", MIMALLOC_PURGE_DECOMMITS: undefined });
    await node.waitFor(/admin listening/, 20_000);
    expect(mimallocEnv(node.pid)).toEqual({ MIMALLOC_PURGE_DELAY: "10", MIMALLOC_PURGE_DECOMMITS: "0" });
    expect(await node.kill("SIGTERM")).toBe(0);
  }, 30_000);
});

describe.skipIf(process.platform !== "linux")("a compiled binary", () => {
  const bin = join(work, "allocator-entry");
  test("re-executes itself in place: same PID and arguments, the settings set, fd 3 still open", async () => {
    const build = Bun.spawnSync([process.execPath, "build", "--compile", join(import.meta.dir, "fixtures", "allocator-entry.ts"), "--outfile", bin], { stdout: "pipe", stderr: "pipe" });
    expect(build.exitCode).toBe(0);
    const handed = join(work, "handed.txt");
    writeFileSync(handed, "handed over\n");
    const run = async (env: Record<string, string | undefined>) => {
      const base: Record<string, string> = {};
      for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) base[k] = v;
      // A descriptor the child inherits, as an upgrade hands listening sockets down.
      const fd = openSync(handed, "r");
      try {
        const p = Bun.spawn([bin, "start", "--x", "a b"], { env: base, stdio: ["ignore", "pipe", "pipe", fd] });
        const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
        expect(err).toBe("");
        expect(code).toBe(0);
        return { pid: p.pid, seen: JSON.parse(out) as Record<string, unknown> };
      } finally {
        closeSync(fd);
      }
    };
    const fresh = await run(NONE);
    expect(fresh.seen).toEqual({ pid: fresh.pid, delay: "-1", decommits: "0", args: ["start", "--x", "a b"], fd3: "handed over" });
    const operator = await run({ MIMALLOC_PURGE_DELAY: "25", MIMALLOC_PURGE_DECOMMITS: "1" });
    expect(operator.seen).toEqual({ pid: operator.pid, delay: "25", decommits: "1", args: ["start", "--x", "a b"], fd3: "handed over" });
  }, 60_000);
});
