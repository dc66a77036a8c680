/**
 * `fulcrum demo --nodes 3`: a local etcd and three nodes; every command of its guide runs as
 * printed: the cluster listed, a write on one node applied on all three, one table digest, one
 * backend for a key through every node, and a node killed -9 with no request lost by the demo's
 * client. Without etcd on PATH it says how to install it.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, runFulcrum, spawnFulcrum, type Running } from "../helpers/process.ts";
import { eventually } from "./helpers/fulcrum-nodes.ts";

afterAll(killAll);

async function shell(cmd: string, timeoutMs = 15_000): Promise<string> {
  const proc = Bun.spawn(["bash", "-c", cmd], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`\`${cmd}\` exited ${code}`);
  return out;
}

describe("fulcrum demo --nodes 3", () => {
  let demo: Running;

  test("runs etcd and three nodes; its guide's commands show a write applied on all three and a node killed without a failed request", async () => {
    demo = spawnFulcrum(["demo", "--nodes", "3", "--admin", "127.0.0.1:0"]);
    await demo.waitFor(/Stop the demo with Ctrl-C/, 40_000);
    const text = demo.stdout();
    const commands = [...text.matchAll(/^ {5}(\S.*)$/gm)].map((m) => m[1]!);
    const dir = /logs and data in (\S+)\./.exec(text)![1]!;
    const [list, write, digests, key, kill, after] = commands as [string, string, string, string, string, string];
    expect(commands).toHaveLength(6);

    expect(JSON.parse(await shell(list)).nodes.map((n: any) => n.name)).toEqual(["lb-1", "lb-2", "lb-3"]);
    expect(JSON.parse(await shell(write)).wait).toMatchObject({ applied: ["lb-1", "lb-2", "lb-3"], refused: [], timed_out: [] });
    const lines = (await shell(digests)).trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(new Set(lines).size).toBe(1);
    const answers = (await shell(key)).trim().split("\n");
    expect(answers).toHaveLength(3);
    expect(new Set(answers).size).toBe(1);

    expect(kill).toMatch(/^kill -9 \d+$/);
    await shell(kill);
    await eventually(async () => expect(JSON.parse(await shell(after)).nodes.map((n: any) => n.name)).toEqual(["lb-1", "lb-3"]), 6000);
    await Bun.sleep(500);
    expect(demo.stdout()).toContain("client: lb-2 failed; its requests go to the next node");
    expect(demo.stdout()).not.toContain("failed on every node");

    expect(await demo.kill("SIGINT")).toBe(0);
    expect(demo.stdout()).toMatch(/client: \d+ requests sent, 0 failed\n/);
    expect(demo.stdout()).toEndWith("demo stopped\n");
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  test("without etcd on PATH it says how to install it", async () => {
    const empty = mkdtempSync(join(tmpdir(), "fulcrum-no-etcd-"));
    try {
      const r = await runFulcrum(["demo", "--nodes", "3"], { PATH: empty });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("`etcd` is not on PATH");
      expect(r.stderr).toContain("apt-get install etcd-server");
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 20_000);
});
