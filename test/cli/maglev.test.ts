import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { maglevTable } from "../../src/wasm/index.ts";

const ROOT = join(import.meta.dir, "..", "..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bun src/main.ts maglev ...args` to completion (bounded by a timeout). */
function fulcrumMaglev(...args: string[]): Run {
  const proc = Bun.spawnSync([process.execPath, join(ROOT, "src", "main.ts"), "maglev", ...args], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
    timeout: 20_000,
  });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

const envoy = ["90", "91", "92", "93", "94", "95"].map((p) => `127.0.0.1:${p}`);

describe("fulcrum maglev", () => {
  test("prints Envoy's table and the slot counts as JSON", () => {
    const run = fulcrumMaglev("--size", "7", ...envoy);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { table: number[]; counts: Record<string, number> };
    expect(out.table).toEqual([2, 4, 0, 1, 5, 0, 3]);
    expect(out.counts).toEqual({
      "127.0.0.1:90": 2,
      "127.0.0.1:91": 1,
      "127.0.0.1:92": 1,
      "127.0.0.1:93": 1,
      "127.0.0.1:94": 1,
      "127.0.0.1:95": 1,
    });
  });

  test("table entries are command-line positions as given, with weights", () => {
    const run = fulcrumMaglev("--size=17", "127.0.0.1:91=2", "127.0.0.1:90=1");
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { table: number[]; counts: Record<string, number> };
    // Envoy's table with :90 first is [1,0,0,1,...]; here :91 is position 0, so the ids swap.
    expect(out.table).toEqual([0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0]);
    expect(out.counts).toEqual({ "127.0.0.1:91": 11, "127.0.0.1:90": 6 });
  });

  test("defaults to 65537 slots and agrees with the library", () => {
    const keys = ["10.0.0.1:80", "10.0.0.2:80=3", "10.0.0.3:80=0"];
    const run = fulcrumMaglev(...keys);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { table: number[]; counts: Record<string, number> };
    expect(out.table).toEqual([...maglevTable(["10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"], [1, 3, 0])]);
    expect(out.counts["10.0.0.3:80"]).toBe(0);
    expect(out.counts["10.0.0.1:80"]! + out.counts["10.0.0.2:80"]!).toBe(65537);
  });

  test("exits 2 with a message on stderr for a bad size, a bad weight or no keys", () => {
    for (const args of [
      ["--size", "8", "a"],
      ["--size", "5000077", "a"],
      ["--size", "x", "a"],
      ["--size"],
      ["a=-1"],
      ["a=1.5"],
      ["a=heavy"],
      ["a=4294967296"],
      ["--size", "7"],
      [],
      ["a", "a"],
      ["--bogus", "a"],
    ]) {
      const run = fulcrumMaglev(...args);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain("fulcrum maglev:");
    }
  });
});
