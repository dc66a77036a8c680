/**
 * Allocation per proxied request (issue 17 target: ≤ 1 KB): a real node, HTTP/1.1 keep-alive GETs
 * with a 128-byte answer through an http listener (and, for scale, the same through a tcp
 * listener), bytes per request from the JS heap of a node that never collects (tail/alloc.ts).
 * Env: ALLOC_REQUESTS (20,000 per listener). About 20 s.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixedBackend } from "../helpers/load.ts";
import { killAll, startFulcrum } from "../helpers/process.ts";
import { envNumber, type Report } from "./harness.ts";
import { ALLOC_BUN_ARGS, ALLOC_ENV, allocPerRequest } from "./tail/alloc.ts";

export async function run(report: Report): Promise<void> {
  const requests = envNumber("ALLOC_REQUESTS", 20_000);
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-alloc-bench-"));
  const backend = fixedBackend("x".repeat(128));
  try {
    for (const protocol of ["http", "tcp"] as const) {
      const config = join(dir, `${protocol}.json`);
      writeFileSync(config, JSON.stringify({
        listeners: [{ name: "web", protocol, address: "127.0.0.1:0", pool: "app" }],
        pools: [{ name: "app", backends: [{ address: `127.0.0.1:${backend.port}` }] }],
      }));
      const node = await startFulcrum(["--config", config, "--db", ":memory:", "--workers", "1"], ALLOC_ENV, ALLOC_BUN_ARGS);
      const port = Number((await node.waitFor(new RegExp(`listener web \\(${protocol}\\) on 127\\.0\\.0\\.1:(\\d+)`)))[1]);
      const f = await allocPerRequest(node, port, { requests });
      report({ name: `alloc ${protocol} keep-alive GET, per request`, value: f.bytesPerRequest, unit: "B/req", target: protocol === "http" ? "≤ 1024" : undefined });
      await node.kill("SIGTERM");
    }
  } finally {
    await killAll();
    backend.stop(true);
    rmSync(dir, { recursive: true, force: true });
  }
}
