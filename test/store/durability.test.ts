import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/index.ts";

const WRITER = join(import.meta.dir, "fixtures", "writer.ts");
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-durable-"));
  dirs.push(dir);
  return join(dir, "fulcrum.db");
}

/** Reads `proc`'s stdout line by line until `enough(lines)` or the deadline; returns the lines. */
async function readAcks(proc: Bun.Subprocess<"ignore", "pipe", "pipe">, enough: (n: number) => boolean, deadlineMs: number): Promise<string[]> {
  const lines: string[] = [];
  const reader = proc.stdout.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  const stop = Date.now() + deadlineMs;
  while (Date.now() < stop && !enough(lines.length)) {
    const timeout = new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), stop - Date.now()));
    const { done, value } = await Promise.race([reader.read(), timeout]);
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts.filter((l) => l.startsWith("ack ")));
  }
  reader.releaseLock();
  return lines;
}

describe("durability", () => {
  test("every acknowledged write survives kill -9 of the writer", async () => {
    const path = tempDb();
    openStore(path).close(); // migrate first, so the writer's time goes to writes
    const proc = Bun.spawn([process.execPath, WRITER, path, "100000", "k"], { stdout: "pipe", stderr: "pipe" });
    let acks: string[] = [];
    try {
      acks = await readAcks(proc, (n) => n >= 150, 20_000);
      proc.kill(9);
      await proc.exited;
    } finally {
      proc.kill(9);
    }
    expect(proc.signalCode).toBe("SIGKILL");
    expect(acks.length).toBeGreaterThanOrEqual(150);
    const acked = acks.map((l) => Number(l.split(" ")[1]));
    expect(acked).toEqual(Array.from({ length: acked.length }, (_, i) => i + 1));
    const store = openStore(path);
    try {
      const { revision } = store.read();
      // Writes after the last ack may or may not have committed; every ack must be there.
      expect(revision).toBeGreaterThanOrEqual(acked.at(-1)!);
      const history = new Set(store.history(revision + 10).map((h) => h.revision));
      for (const r of acked) expect(history.has(r)).toBe(true);
      const last = store.history(1)[0]!;
      expect(last.summary).toBe(`k ${revision - 1}`);
    } finally {
      store.close();
    }
  });

  test("two processes writing one database at once get every revision exactly once", async () => {
    const path = tempDb();
    openStore(path).close();
    const procs = ["a", "b"].map((tag) => Bun.spawn([process.execPath, WRITER, path, "60", tag], { stdout: "pipe", stderr: "pipe" }));
    const outputs = await Promise.all(procs.map((p) => new Response(p.stdout).text()));
    const codes = await Promise.all(procs.map((p) => p.exited));
    expect(codes).toEqual([0, 0]);
    const revisions = outputs.flatMap((o) => o.trim().split("\n").map((l) => Number(l.split(" ")[1])));
    expect(revisions.sort((x, y) => x - y)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    const store = openStore(path);
    try {
      expect(store.read().revision).toBe(120);
      expect(store.history(200)).toHaveLength(120);
    } finally {
      store.close();
    }
  });

  test("a reader never sees half a write: every read's rows belong to its revision", async () => {
    const path = tempDb();
    openStore(path).close();
    const proc = Bun.spawn([process.execPath, WRITER, path, "120", "r"], { stdout: "pipe", stderr: "pipe" });
    const reader = openStore(path);
    const seen = new Set<number>();
    try {
      const stop = Date.now() + 20_000;
      let exited = false;
      void proc.exited.then(() => (exited = true));
      while (!exited && Date.now() < stop) {
        const { revision, doc } = reader.read();
        if (revision > 0) {
          // The writer's i-th write (revision i + 1) holds exactly one backend derived from i.
          const i = revision - 1;
          expect(doc.pools).toHaveLength(1);
          expect(doc.pools[0]!.backends).toEqual([{ address: `10.${(i >> 8) & 255}.${i & 255}.1:80`, weight: 1 + (i % 1000), state: "active" }]);
          seen.add(revision);
        }
        await Bun.sleep(0);
      }
      expect(await proc.exited).toBe(0);
    } finally {
      proc.kill(9);
      reader.close();
    }
    // The reads interleaved with the writes (not all before or after them).
    expect(seen.size).toBeGreaterThan(5);
  });
});
