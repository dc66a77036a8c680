/** Starts relay-child.ts as a child process and reads its port and RSS; stop() kills it by PID. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UpstreamAddress } from "../../../src/l4/index.ts";
import { readFirstJsonLine } from "../../helpers/first-line.ts";

export interface RelayProcess {
  port: number;
  pid: number;
  /** Resident set size in bytes, from /proc/PID/status. */
  rss(): number;
  stop(): Promise<void>;
}

export async function startRelayProcess(backends: UpstreamAddress[], protocol: "tcp" | "udp" = "tcp"): Promise<RelayProcess> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "relay-child.ts"), JSON.stringify({ backends, protocol })], {
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, FULCRUM_WASM: process.env.FULCRUM_WASM ?? "release" },
  });
  const { port } = await readFirstJsonLine<{ port: number }>(proc.stdout).catch((e: unknown) => {
    proc.kill(); // it never announced itself: stop it rather than leak it
    throw e;
  });
  return {
    port,
    pid: proc.pid,
    rss() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proc.pid}/status`, "utf8"));
      return Number(m?.[1] ?? 0) * 1024;
    },
    async stop() {
      proc.kill();
      await proc.exited;
    },
  };
}
