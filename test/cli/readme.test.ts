/**
 * Every command the README, `--help`, the start banner and the demo print runs as printed (issue
 * 12 item 13), in a throwaway checkout and a private network namespace, so the README's fixed
 * ports are the real ones. The tour runs in its order: demo, your own config with two python
 * backends, live changes, export and apply back, watching, the binary. A README command this test
 * does not know fails the last test, so a new one cannot slip in untried.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { makeCheckout, readmeCommands, readmeYaml, removeCheckout, ROOT, Sandbox, type Background } from "./helpers/commands.ts";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** Commands that by design cannot run inside a test, and why. */
const SKIPPED: Record<string, string> = {
  "npm install && npm start": "installs into the node_modules this suite runs from (a fresh clone is installed and run by hand for the report); `npm start` alone runs below",
  "npm test": "runs this very suite",
  "bun install": "installs into the node_modules this suite runs from",
  "bun run test": "runs this very suite",
  "npm run bench -- peers": "a ~95 s benchmark needing nginx, haproxy and wrk; test/bench/peers/peers.test.ts runs its harness",
  "npm run bench -- workers": "a ~40 s benchmark (wrk and nginx); test/integration/workers-*.test.ts run nodes of workers",
  "npm run bench -- peers --workers 2": "the ~95 s side-by-side with two workers each; test/bench/peers/peers.test.ts runs its harness",
  "bun test/cluster/bench/layout.ts": "a benchmark (etcd and a 10,000-backend config, tens of seconds); test/cluster/config-layout.test.ts runs the same layout",
  "npm run screenshot": "drives Chromium under load for about a minute to redraw docs/*.png; test/admin/ui/dashboard.test.ts runs the page in Chromium",
  "npm run bench -- h2-codec": "a benchmark (h2load for about 20 s); test/h2 runs the codec and its server",
  "npm run -s fulcrum -- demo --nodes 3": "test/cluster/demo-cluster.test.ts runs it and every command its guide prints",
  "npm run bench -- scaling": "a ~2 minute benchmark needing nginx, haproxy and wrk; test/bench/peers/peers.test.ts runs the side-by-side set it starts twice",
  "npm run bench -- cluster": "a benchmark (etcd, three nodes, 500 writes, wrk: about a minute); test/cluster runs the same nodes",
  "npm run bench -- h2.bench": "a ~1 min benchmark needing nginx, haproxy and h2load; test/integration/h2-*.test.ts run the same paths",
  "npm run bench -- h2": "the h2.bench, h2-codec and h2-alloc benchmarks together (above)",
  "npm run bench -- h2-alloc": "a ~10 s benchmark of a node (h2load); test/h2/alloc-per-request.test.ts runs the same measure on 8,000 requests",
  "npm run bench -- tail": "a ~4 minute benchmark needing nginx, haproxy and wrk; test/integration/tail-stalls.test.ts checks the stalls it found",
  "npm run bench -- open-loop": "a ~4 minute benchmark needing nginx and haproxy",
  "npm run bench -- scale": "a benchmark holding up to 100,000 connections for minutes; test/l4/max-connections-node.test.ts runs the limit at small scale",
  "npm run bench -- alloc": "a ~20 s benchmark of two nodes; test/integration/alloc-per-request.test.ts runs the same measure on 5,000 requests",
  "npm run bench -- sweep": "a benchmark of 100,000 sweep items; test/l7/deadline-wheel.test.ts counts the wheel's visits",
  "npm run bench -- conntrack": "a benchmark filling a 64 MiB table; test/assembly/conntrack.test.ts runs the table",
  "npm run bench -- compress": "a ~1 min benchmark needing nginx and wrk; test/integration/l7-compress.test.ts runs the same paths",
};

const ran = new Set<string>();
let typecheck: Promise<Error | undefined>;
const canRun = Sandbox.available();
const checkout = makeCheckout();
let box: Sandbox | undefined;
afterAll(() => {
  box?.close();
  removeCheckout(checkout);
});

/**
 * Runs one printed command as written; it must exit 0. A command ending in `&` leaves its server
 * running in its own process group, stopped with the sandbox.
 */
async function run(cmd: string, timeoutMs = 60_000): Promise<string> {
  ran.add(cmd);
  if (cmd.endsWith("&")) {
    const p = box!.bg(cmd);
    expect(await p.exited).toBe(0);
    return p.out();
  }
  const r = await box!.sh(cmd, timeoutMs);
  if (r.code !== 0) throw new Error(`\`${cmd}\` exited ${r.code}\nstdout:\n${r.out}\nstderr:\n${r.err}`);
  return r.out;
}

/** Starts a printed long-running command (a node, the demo) and waits until it says it is ready. */
async function serve(cmd: string, ready: RegExp): Promise<Background> {
  ran.add(cmd);
  const p = box!.bg(cmd);
  await p.waitFor(ready, 30_000);
  return p;
}

/**
 * Stops a node the way an operator does and checks it drained and exited 0 by its own account.
 * npm, killed by the same signal, then reports the signal (130 for SIGINT, 143 for SIGTERM).
 */
async function stopNode(p: Background, signal: "SIGINT" | "SIGTERM", viaNpm: boolean): Promise<void> {
  const code = await p.stop(signal);
  expect(p.out()).toMatch(/(stopped in \d+ ms; exiting 0|demo stopped)\n$/);
  expect(code).toBe(!viaNpm ? 0 : signal === "SIGINT" ? 130 : 143);
}

/** The lines of the demo's guide that are commands (indented five spaces). */
const guideCommands = (text: string) => [...text.matchAll(/^ {5}(\S.*)$/gm)].map((m) => m[1]!);

describe.skipIf(!canRun)("the README, run as written", () => {
  test("setup: a private network namespace over a fresh checkout holding the tour's fulcrum.yaml", async () => {
    box = await Sandbox.open(checkout);
    writeFileSync(join(checkout, "fulcrum.yaml"), readmeYaml(README));
    // The slowest command runs beside the tour; its result is checked with the scripts table.
    typecheck = run("npm run typecheck", 180_000).then(
      () => undefined,
      (e: Error) => e,
    );
  }, 20_000);

  test("`npm start` and `bun run start` start a node on the defaults; Ctrl-C stops it", async () => {
    for (const cmd of ["npm start", "bun run start"]) {
      const node = await serve(cmd, /admin listening on http:\/\/127\.0\.0\.1:9901/);
      expect(node.out()).toContain(join(checkout, "fulcrum.db"));
      await stopNode(node, "SIGINT", cmd.startsWith("npm"));
    }
  }, 60_000);

  test("1. the demo: its guide's fulcrum command runs as printed; Ctrl-C stops it all", async () => {
    const demo = await serve("npm run -s fulcrum -- demo", /Stop the demo with Ctrl-C/);
    const commands = guideCommands(demo.out());
    const exportCmd = commands.find((c) => c.includes(" export "));
    expect(exportCmd).toBe("npm run -s fulcrum -- export --admin http://127.0.0.1:9901");
    const yaml = await run(exportCmd!);
    expect(yaml).toStartWith("# fulcrum export: revision 1 of http://127.0.0.1:9901");
    expect((parseYaml(yaml) as { pools: { name: string }[] }).pools[0]!.name).toBe("demo");
    // The guide's curl lines: the first one here; test/cli/demo.test.ts runs each of them.
    expect(await run(commands[0]!)).toStartWith("hello from demo-");
    await stopNode(demo, "SIGINT", true);
  }, 60_000);

  let node: Background;
  test("2. your own config: two python backends, validate, start with it, a request through it", async () => {
    await run("python3 -m http.server 9001 &");
    await run("python3 -m http.server 9002 &");
    await box!.until("http://127.0.0.1:9001/");
    await box!.until("http://127.0.0.1:9002/");
    expect(await run("npm run -s fulcrum -- validate fulcrum.yaml")).toStartWith("ok (1 listener, 1 pool, 0 certificates)");
    node = await serve("npm start -- --config fulcrum.yaml", /admin listening on http:\/\/127\.0\.0\.1:9901/);
    await node.waitFor(/listener web \(http\) on 127\.0\.0\.1:8080/);
    expect(await run("curl -i http://127.0.0.1:8080/api/")).toStartWith("HTTP/1.1 200");
  }, 60_000);

  test("3. change it live, export the running config and apply it back unchanged", async () => {
    expect(JSON.parse(await run("curl -s 127.0.0.1:9901/v1/pools/app")).name).toBe("app");
    const added = JSON.parse(await run(`curl -s -X POST 127.0.0.1:9901/v1/pools/app/backends -H 'content-type: application/json' -d '{"address":"127.0.0.1:9003"}'`));
    expect(added.revision).toBe(2);
    const drained = JSON.parse(await run(`curl -s -X PATCH 127.0.0.1:9901/v1/pools/app/backends/127.0.0.1:9001 -H 'content-type: application/json' -d '{"state":"draining"}'`));
    expect(drained.revision).toBe(3);
    expect(await run("npm run -s fulcrum -- export")).toStartWith("# fulcrum export: revision 3");
    await run("npm run -s fulcrum -- export > running.yaml");
    const exported = readFileSync(join(checkout, "running.yaml"), "utf8");
    expect(exported).toStartWith("# fulcrum export: revision 3");
    expect(exported).not.toContain("> fulcrum");
    expect(await run("npm run -s fulcrum -- apply -f running.yaml")).toBe("no changes: revision 3\n");
    await node.waitFor(/config: revision 3 applied: PATCH \/v1\/pools\/app\/backends\/127\.0\.0\.1:9001: pool app: backend 127\.0\.0\.1:9001: state active -> draining/);
  }, 60_000);

  test("4. watch it: status, metrics and the history", async () => {
    const status = JSON.parse(await run("curl -s 127.0.0.1:9901/v1/status"));
    expect(status.revision).toBe(3);
    expect(await run("curl -s 127.0.0.1:9901/metrics")).toContain("fulcrum_");
    const history = JSON.parse(await run("curl -s 127.0.0.1:9901/v1/revisions"));
    expect(history.revisions.map((r: { revision: number }) => r.revision)).toEqual([3, 2, 1]);
    // Piped (no terminal), --watch prints one frame after another: the first one is enough.
    const watching = await serve("npm run -s fulcrum -- status --watch", /\bapp\b[\s\S]*127\.0\.0\.1:9001/);
    await watching.stop("SIGINT");
    await stopNode(node, "SIGINT", true);
  }, 30_000);

  test("Run a cluster: etcd and two nodes on one machine; a write through one is applied by both", async () => {
    const section = README.slice(README.indexOf("## Run a cluster"), README.indexOf("## Reference"));
    const cmds = readmeCommands(section).blocks;
    expect(cmds).toHaveLength(5);
    const [etcd, lb1, lb2, write, list] = cmds as [string, string, string, string, string];
    await run(etcd);
    await box!.until("http://127.0.0.1:2379/health");
    await run(lb1);
    await run(lb2);
    await box!.until("http://127.0.0.1:9911/healthz", 30_000);
    await box!.until("http://127.0.0.1:9912/healthz", 30_000);
    // Both registered before the write, so "applied" names both.
    for (const deadline = Date.now() + 10_000; JSON.parse(await run(list)).nodes.length < 2 && Date.now() < deadline; ) await Bun.sleep(100);
    expect(JSON.parse(await run(write)).wait).toMatchObject({ applied: ["lb-1", "lb-2"], refused: [], timed_out: [] });
    const cluster = JSON.parse(await run(list));
    expect(cluster.nodes.map((n: { name: string; lag: number }) => [n.name, n.lag])).toEqual([["lb-1", 0], ["lb-2", 0]]);
  }, 60_000);

  let binary: Background;
  test("5. ship it: npm run build, then the binary starts with the exported config, the same revision", async () => {
    await run("npm run build", 120_000);
    expect(existsSync(join(checkout, "dist", "fulcrum"))).toBe(true);
    binary = await serve("./dist/fulcrum start --config running.yaml", /admin listening on http:\/\/127\.0\.0\.1:9901/);
    expect(binary.out()).toMatch(/at revision 3\b/);
  }, 150_000);

  test("the start banner's try: line runs as printed (the binary names itself, a file fulcrum.yaml is there)", async () => {
    // the line after "admin listening on": under load it can reach the pipe a moment later
    const [, curl, apply] = await binary.waitFor(/try: (curl \S+)\s+or\s+(\S.*\S)[ \t]*\n/, 10_000);
    expect(apply).toBe("./dist/fulcrum apply -f fulcrum.yaml --admin http://127.0.0.1:9901");
    expect(JSON.parse(await run(curl!)).pools[0].name).toBe("app");
    // fulcrum.yaml has 9001 active and no 9003: applying it is a change, printed as a diff.
    expect(await run(apply!)).toMatch(/revision 4\n$/);
    // SIGTERM drains and exits 0, as the README says.
    await stopNode(binary, "SIGTERM", false);
  }, 30_000);

  test("the binary's demo prints a fulcrum command that runs as printed", async () => {
    const demo = box!.bg("./dist/fulcrum demo");
    await demo.waitFor(/Stop the demo with Ctrl-C/, 30_000);
    const exportCmd = guideCommands(demo.out()).find((c) => c.includes(" export "));
    expect(exportCmd).toBe("./dist/fulcrum export --admin http://127.0.0.1:9901");
    expect(await run(exportCmd!)).toContain("name: demo");
    await stopNode(demo, "SIGINT", false);
  }, 60_000);

  test("--help's examples run as printed", async () => {
    const help = await run("npm run -s fulcrum -- --help");
    const examples = help.slice(help.indexOf("examples")).split("\n").slice(1).map((l) => l.trim()).filter((l) => l !== "");
    expect(examples).toEqual([
      "npm run -s fulcrum -- validate fulcrum.yaml",
      "npm run -s fulcrum -- start --config fulcrum.yaml",
      "npm run -s fulcrum -- export > running.yaml",
      "npm run -s fulcrum -- apply -f running.yaml",
    ]);
    expect(await run(examples[0]!)).toStartWith("ok");
    const started = await serve(examples[1]!, /admin listening on http:\/\/127\.0\.0\.1:9901/);
    await run(examples[2]!);
    expect(await run(examples[3]!)).toMatch(/^no changes: revision \d+\n$/);
    await stopNode(started, "SIGTERM", true);
  }, 60_000);

  test("the scripts table: build:wasm (up to date, so quick) and typecheck", async () => {
    expect(await run("npm run build:wasm")).toContain("up to date");
    expect(await typecheck).toBeUndefined();
  }, 200_000);

  test("every command in the README was run above or is skipped with its reason", () => {
    const { blocks, inline } = readmeCommands(README);
    const untried = [...new Set([...blocks, ...inline])].filter((c) => !ran.has(c) && SKIPPED[c] === undefined);
    expect(untried).toEqual([]);
    for (const c of Object.keys(SKIPPED)) expect([...blocks, ...inline]).toContain(c);
  });
});
