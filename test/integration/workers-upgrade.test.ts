/**
 * Issue 14: zero-downtime binary upgrades through real processes. A node of 2 workers is upgraded
 * while wrk loads it, once over keep-alive connections (`fulcrum upgrade`, the new binary being
 * this program from source: bun src/main.ts) and once with a new connection per request (the new
 * binary a launcher script); SIGUSR2 upgrades a node of one thread. wrk sees no failed request and
 * no refused connection, the new node serves (its pid in /v1/status, on the same admin address
 * and database), and the old one exits 0. A binary that exits at once: the old node says why and
 * serves on, and no request fails. A new node killed -9 after it took the sockets and before it said
 * it serves: the old node says why and serves on; no connection is refused, and only the requests
 * on connections the killed node had accepted can fail (both nodes accept on the shared sockets
 * until the old one stops, as with nginx's and HAProxy's reloads). The compiled binary's upgrade is
 * in test/cli/binary-upgrade.test.ts.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { killAll, runFulcrum, startFulcrum, type StartedNode } from "../helpers/process.ts";
import { startBackend, type TestBackend } from "./helpers-resilience/backend.ts";
import { removeTempDirs, tempDir, until } from "./helpers/l7-node.ts";
import { startWrk, type WrkLoad } from "./helpers/wrk-load.ts";

const ROOT = join(import.meta.dir, "..", "..");
const dir = tempDir();
let backends: TestBackend[];
/** Processes started by an upgrade (not children of this test): killed by pid at the end. */
const successors = new Set<number>();

beforeAll(() => {
  backends = ["u0", "u1"].map((t) => startBackend(t));
  writeFileSync(join(dir, "node.json"), JSON.stringify({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app" }],
    pools: [{ name: "app", backends: backends.map((b) => ({ address: b.address })) }],
  }));
  // A launcher, as an operator's wrapper script would be: the new binary is this program from source.
  writeFileSync(join(dir, "fulcrum-next"), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "src", "main.ts"))} "$@"\n`);
  chmodSync(join(dir, "fulcrum-next"), 0o755);
  writeFileSync(join(dir, "fulcrum-broken"), "#!/bin/sh\necho 'fulcrum-broken: cannot start' >&2\nexit 3\n");
  chmodSync(join(dir, "fulcrum-broken"), 0o755);
  // The new node from source, saying its pid first (exec keeps it), for a test to kill it mid-start.
  writeFileSync(join(dir, "fulcrum-doomed"), `#!/bin/sh\necho $$ > ${JSON.stringify(join(dir, "doomed.pid"))}\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "src", "main.ts"))} "$@"\n`);
  chmodSync(join(dir, "fulcrum-doomed"), 0o755);
});

afterEach(() => {
  for (const pid of successors) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  successors.clear();
});

afterAll(async () => {
  await killAll();
  backends?.forEach((b) => b.kill());
  removeTempDirs();
});

const status = async (url: string): Promise<any> => await (await fetch(`${url}/v1/status`)).json();

async function startOne(db: string, workers = 2): Promise<{ node: StartedNode; port: number }> {
  const node = await startFulcrum(["--config", join(dir, "node.json"), "--db", join(dir, db), "--workers", String(workers), "--drain-timeout-ms", "3000"]);
  const st = await status(node.url);
  return { node, port: Number(st.listeners[0].address.split(":").pop()) };
}

/** Waits until /v1/status answers from another process than `pid`; returns its node info. */
async function successorOf(url: string, pid: number): Promise<any> {
  let info: any;
  await until(async () => {
    info = (await status(url).catch(() => undefined))?.node;
    return info !== undefined && info.pid !== pid;
  }, 20_000);
  successors.add(info.pid);
  return info;
}

function clean(w: WrkLoad): void {
  expect({ non2xx: w.non2xx, connect: w.connectErrors, read: w.readErrors, write: w.writeErrors, timeouts: w.timeouts }).toEqual({ non2xx: 0, connect: 0, read: 0, write: 0, timeouts: 0 });
  expect(w.requests).toBeGreaterThan(100);
}

test("fulcrum upgrade under wrk -c64 keep-alive: no request fails, the new node serves, the old one exits 0", async () => {
  const { node, port } = await startOne("keepalive.db");
  const load = startWrk(port, 4, 64);
  await Bun.sleep(800);
  const r = await runFulcrum(["upgrade", "--admin", node.url]);
  expect(r.stdout).toContain(`pid ${node.pid} drains and exits`);
  expect(r.code).toBe(0);
  const next = await successorOf(node.url, node.pid);
  expect(next.upgraded_from).toBe(node.pid);
  expect(next.workers).toBe(2);
  expect(await node.proc.exited).toBe(0);
  clean(await load);
  const st = await status(node.url);
  expect(st.ready).toBe(true);
  expect(st.revision).toBe(1); // the same database: nothing was applied again
}, 30_000);

test("fulcrum upgrade --pid --binary (a launcher script) under wrk with a new connection per request: none refused, none failed", async () => {
  const { node, port } = await startOne("close.db");
  const load = startWrk(port, 4, 64, true);
  await Bun.sleep(800);
  // The new build named by path, as an operator would after installing it beside the old one.
  const r = await runFulcrum(["upgrade", "--pid", String(node.pid), "--binary", join(dir, "fulcrum-next")]);
  expect(r.code).toBe(0);
  await successorOf(node.url, node.pid);
  expect(await node.proc.exited).toBe(0);
  clean(await load);
}, 30_000);

test("SIGUSR2 upgrades a node of one thread to the same program: the new node serves on the same ports", async () => {
  const { node, port } = await startOne("usr2.db", 1);
  process.kill(node.pid, "SIGUSR2");
  const next = await successorOf(node.url, node.pid);
  expect(next.upgraded_from).toBe(node.pid);
  expect(next.workers).toBe(1);
  expect(await node.proc.exited).toBe(0);
  const res = await fetch(`http://127.0.0.1:${port}/`);
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}, 30_000);

test("a binary that exits at once: the old node says why and serves on; no request fails", async () => {
  const { node, port } = await startOne("broken.db");
  const load = startWrk(port, 2, 16);
  await Bun.sleep(300);
  const r = await runFulcrum(["upgrade", "--admin", node.url, "--binary", join(dir, "fulcrum-broken")]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain("exited with code 3 before it served");
  await node.waitFor(/upgrade failed: the new node \(pid \d+\) exited with code 3 before it served; this node serves on/);
  expect(node.stderr() + node.stdout()).toContain("fulcrum-broken: cannot start");
  clean(await load);
  expect((await status(node.url)).node.pid).toBe(node.pid);
  expect(node.proc.exitCode).toBeNull();
}, 30_000);

test("a new node killed -9 after it took the sockets, before it served: the old node says why and serves on; no connection is refused", async () => {
  const { node, port } = await startOne("doomed.db");
  const connections = 16;
  const load = startWrk(port, 4, connections, true);
  await Bun.sleep(300);
  const bound = () => (node.stdout() + node.stderr()).split("listener web (http) on").length - 1;
  const before = bound();
  const upgrade = runFulcrum(["upgrade", "--admin", node.url, "--binary", join(dir, "fulcrum-doomed")]);
  // Its stdout is the old node's: the new node's first worker on the handed socket shows there.
  await until(() => existsSync(join(dir, "doomed.pid")) && bound() > before, 20_000);
  const pid = Number(readFileSync(join(dir, "doomed.pid"), "utf8"));
  successors.add(pid);
  process.kill(pid, "SIGKILL");
  const r = await upgrade;
  expect(r.code).toBe(1);
  expect(r.stderr).toContain(`the new node (pid ${pid}) exited with SIGKILL before it served`);
  await node.waitFor(/upgrade failed: the new node \(pid \d+\) exited with SIGKILL before it served; this node serves on/);
  // The killed node took with it the connections it had accepted (at most one per wrk connection,
  // each mid-request): those fail as read or write errors. Nothing is refused, nothing times out,
  // and no response is an error.
  const during = await load;
  expect({ non2xx: during.non2xx, connect: during.connectErrors, timeouts: during.timeouts }).toEqual({ non2xx: 0, connect: 0, timeouts: 0 });
  expect(during.readErrors + during.writeErrors).toBeLessThanOrEqual(connections);
  expect(during.requests).toBeGreaterThan(100);
  // From then on the old node serves alone, and every request succeeds.
  clean(await startWrk(port, 1, connections, true));
  expect((await status(node.url)).node.pid).toBe(node.pid);
  expect(node.proc.exitCode).toBeNull();
}, 30_000);
