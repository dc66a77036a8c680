/**
 * The access log of a node of two workers: both write their own lines to the listener's one file,
 * each batch of whole lines in one append, so 400 requests over as many connections (the kernel
 * spreading them over both workers) leave 400 whole JSON lines, none cut or mixed with another;
 * after logrotate's rename and SIGUSR1, every later request's line is in the new file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { backend, call, metric, removeTempDirs, startNode, tempDir, until, type L7Node } from "./helpers/l7-node.ts";

const ok = backend("ok");
const dir = tempDir();
const LOG = join(dir, "access.log");
// Long lines: a line cut by another worker's write would not parse.
const PAD = "x".repeat(3000);
let n: L7Node;

beforeAll(async () => {
  n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: LOG }],
    pools: [{ name: "app", backends: [{ address: ok.address }] }],
  }, dir, ["--workers", "2"]);
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  ok.stop();
});

/** `count` requests, 20 at a time, each on a new connection; their ids are `from` on. */
async function send(from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, from + count - i) }, async (_, k) => {
      const res = await call(n.port("web"), `/r/${i + k}?pad=${PAD}`, { headers: { connection: "close" } });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }));
  }
}

/** Lines written so far (a read may meet a write in progress: checked whole only once all are in). */
function count(file: string): number {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0;
}

function ids(file: string): number[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  expect(text.endsWith("\n") || text === "").toBe(true);
  return text.split("\n").filter((l) => l !== "").map((l) => {
    const line = JSON.parse(l) as { path: string; target: string };
    expect(line.target).toBe(`${line.path}?pad=${PAD}`);
    return Number(line.path.slice(3));
  });
}

test("two workers' lines in one file stay whole, and SIGUSR1 reopens it in both", async () => {
  await send(0, 400);
  const metrics = await n.metrics();
  for (const w of ["0", "1"]) expect(metric(metrics, `fulcrum_worker_requests_total{worker="${w}"}`)).toBeGreaterThan(0);
  await until(() => count(LOG) >= 400, 5000);
  expect(ids(LOG).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));

  renameSync(LOG, `${LOG}.1`);
  process.kill(n.node.pid, "SIGUSR1");
  await n.node.waitFor(/SIGUSR1: reopened .*access\.log/);
  await send(400, 200);
  await until(() => count(LOG) >= 200, 5000);
  expect(ids(LOG).sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => 400 + i));
  expect(ids(`${LOG}.1`).sort((a, b) => a - b)).toEqual(Array.from({ length: 400 }, (_, i) => i));
}, 30_000);
