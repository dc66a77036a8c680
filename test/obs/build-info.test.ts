/**
 * Which commit a node says it runs: from source, the checkout's HEAD; in a binary built by
 * build/binary.ts, the commit embedded at build time, also when it runs far from any checkout;
 * outside both, "unknown".
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildCommit, gitHead, Registry, registerBuildInfo } from "../../src/obs/index.ts";

const ROOT = join(import.meta.dir, "..", "..");
const HEAD = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
const work = mkdtempSync(join(tmpdir(), "fulcrum-build-info-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

test("from source the commit is the checkout's HEAD", () => {
  expect(HEAD).toMatch(/^[0-9a-f]{40}$/);
  expect(buildCommit()).toBe(HEAD);
  const r = new Registry();
  registerBuildInfo(r, "9.9.9");
  expect(r.render()).toContain(`fulcrum_build_info{version="9.9.9",commit="${HEAD}"} 1\n`);
});

test("a folder that is no checkout has an unknown commit", () => {
  expect(gitHead(work)).toBe("unknown");
});

test("the binary build/binary.ts writes reports the commit it was built from, run from a folder with no checkout", async () => {
  const bin = join(work, "fulcrum");
  const build = Bun.spawnSync([process.execPath, join(ROOT, "build", "binary.ts"), "--outfile", bin], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  expect(build.stderr.toString()).toBe("");
  expect(build.exitCode).toBe(0);
  const run = Bun.spawnSync([bin, "version"], { cwd: work, stdout: "pipe", stderr: "pipe", env: { PATH: "/nonexistent" } });
  expect(run.exitCode).toBe(0);
  expect(run.stdout.toString()).toStartWith(`fulcrum `);
  expect(run.stdout.toString()).toContain(`(commit ${HEAD}, bun `);
}, 120_000);
