/**
 * A second Fulcrum node beside the peers' one, on the same three backends, as its own rows of the
 * tail bench: the same tree with other allocator settings (TAIL_MI_DEFAULTS), or another tree's
 * code (TAIL_BASELINE, e.g. /work/main), so a change is judged against its base in the same
 * interleaved rounds rather than in runs minutes apart on a shared machine.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { environment } from "../../helpers/process.ts";
import { freePort } from "../../l4/helpers/peers.ts";
import { fulcrumYaml } from "../peers/configs.ts";
import { spawnChild, startFulcrumChild, waitHttp200, type Child } from "../peers/procs.ts";

/** A started second node and its two listeners' ports. */
export interface SecondNode {
  child: Child;
  http: number;
  tcp: number;
}

function writeConfig(dir: string, name: string, backends: readonly number[]): { cfg: string; http: number; tcp: number } {
  const http = freePort(), tcp = freePort();
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, fulcrumYaml(http, tcp, backends));
  return { cfg, http, tcp };
}

async function ready(node: SecondNode, children: Child[]): Promise<SecondNode> {
  children.push(node.child);
  await waitHttp200(node.http, node.child);
  await waitHttp200(node.tcp, node.child);
  return node;
}

/** This tree's node with `env` added (mimalloc's defaults, say: it does not re-exec when they are set). */
export async function startVariantNode(dir: string, name: string, backends: readonly number[], env: Record<string, string>, children: Child[]): Promise<SecondNode> {
  const { cfg, http, tcp } = writeConfig(dir, name, backends);
  return ready({ child: await startFulcrumChild(cfg, env, name), http, tcp }, children);
}

/**
 * The node of the checkout at `tree` (its src/main.ts, release WASM from its build/), started as
 * the bench's own node is (test/helpers' environment: the launchers' allocator settings unless
 * set, no FULCRUM_* of this process): one worker, an in-memory store.
 */
export async function startTreeNode(dir: string, name: string, tree: string, backends: readonly number[], children: Child[]): Promise<SecondNode> {
  const root = resolve(tree);
  const main = join(root, "src", "main.ts");
  if (!existsSync(main) || !existsSync(join(root, "build", "core.release.wasm"))) {
    throw new Error(`TAIL_BASELINE=${tree}: no src/main.ts and build/core.release.wasm there (run npm install in that checkout)`);
  }
  const { cfg, http, tcp } = writeConfig(dir, name, backends);
  const argv = [process.execPath, main, "start", "--config", cfg, "--db", ":memory:", "--admin", "127.0.0.1:0", "--workers", "1"];
  return ready({ child: spawnChild(name, argv, dir, environment({ FULCRUM_WASM: "release" }), root), http, tcp }, children);
}
