/**
 * Signals a running node gets by habit (issue 12 item 4): SIGHUP reloads --config like `apply`,
 * SIGUSR1 reopens the access log files, and neither drops a connection: a keep-alive HTTP
 * connection and a tcp connection through a real node stay open and keep working across both.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOrigin } from "../helpers/origin.ts";
import { killAll, startFulcrum } from "../helpers/process.ts";
import { connectClient, echoBackend } from "../l4/helpers/backends.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-signals-"));
const origin = startOrigin({ fetch: (req) => new Response(`origin saw ${new URL(req.url).pathname}\n`) });
const echo = echoBackend();
afterAll(async () => {
  await killAll();
  origin.stop();
  echo.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

const accessLog = join(dir, "access.log");

function config(extraPools: object[] = []): string {
  return JSON.stringify({
    listeners: [
      { name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app", access_log: accessLog },
      { name: "raw", protocol: "tcp", address: "127.0.0.1:0", pool: "echo" },
    ],
    pools: [
      { name: "app", backends: [{ address: origin.address }] },
      { name: "echo", backends: [{ address: `127.0.0.1:${echo.port}` }] },
      ...extraPools,
    ],
  });
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await Bun.sleep(20);
  }
}

const lines = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").split("\n").filter((l) => l !== "") : []);

describe("a node started with --config", () => {
  test("SIGHUP applies the changed file (history says so), refuses a broken one, SIGUSR1 reopens the access log; no connection drops", async () => {
    const file = join(dir, "node.json");
    writeFileSync(file, config());
    const node = await startFulcrum(["--db", join(dir, "hup.db"), "--config", file]);
    const [, webPort] = await node.waitFor(/listener web \(http\) on 127\.0\.0\.1:(\d+)/);
    const [, rawPort] = await node.waitFor(/listener raw \(tcp\) on 127\.0\.0\.1:(\d+)/);

    const http = await connectClient(Number(webPort));
    const ask = async (path: string) => {
      const before = http.text().length;
      http.socket.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
      await http.waitFor(`origin saw ${path}`);
      return http.text().slice(before);
    };
    expect(await ask("/one")).toStartWith("HTTP/1.1 200");
    const tcp = await connectClient(Number(rawPort));
    tcp.socket.write("ping-1;");
    await tcp.waitFor("ping-1;");
    await until("the first access log line", () => lines(accessLog).length === 1);

    // A changed file: applied as a new revision, recorded as a SIGHUP reload.
    writeFileSync(file, config([{ name: "extra", backends: [{ address: "127.0.0.1:9" }] }]));
    process.kill(node.pid, "SIGHUP");
    await node.waitFor(/config: revision 2 applied: SIGHUP reload of .*node\.json: pool extra added/);
    const history = (await (await fetch(`${node.url}/v1/revisions`)).json()) as { revisions: { revision: number; summary: string }[] };
    expect(history.revisions[0]!.revision).toBe(2);
    expect(history.revisions[0]!.summary).toMatch(/^SIGHUP reload of .*node\.json: pool extra added$/);

    // A broken file: nothing changes, the error is logged with its path.
    writeFileSync(file, JSON.stringify({ pools: [{ name: "app", algorithm: "nope" }] }));
    process.kill(node.pid, "SIGHUP");
    await node.waitFor(/ERROR SIGHUP: .*node\.json not applied, revision 2 keeps serving: CONFIG_INVALID.*pools\[0\]\.algorithm/);
    const status = (await (await fetch(`${node.url}/v1/status`)).json()) as { revision: number };
    expect(status.revision).toBe(2);

    // logrotate: rename, then SIGUSR1; the next line lands in a new file at the old path.
    renameSync(accessLog, `${accessLog}.1`);
    process.kill(node.pid, "SIGUSR1");
    await node.waitFor(/SIGUSR1: reopened .*access\.log/);
    expect(await ask("/two")).toStartWith("HTTP/1.1 200");
    await until("a line in the new access log", () => lines(accessLog).length === 1);
    expect(JSON.parse(lines(accessLog)[0]!).path).toBe("/two");
    expect(lines(`${accessLog}.1`).map((l) => JSON.parse(l).path)).toEqual(["/one"]);

    // The same two connections, still open and still served.
    tcp.socket.write("ping-2;");
    await tcp.waitFor("ping-2;");
    expect(await ask("/three")).toStartWith("HTTP/1.1 200");
    expect(http.text().match(/HTTP\/1\.1 200/g)).toHaveLength(3);
    expect(node.proc.exitCode).toBeNull();
    http.socket.end();
    tcp.socket.end();

    expect(await node.kill("SIGTERM")).toBe(0);
    expect(node.stdout()).toMatch(/INFO  stopped in \d+ ms; exiting 0\n$/);
  }, 30_000);
});

test("without --config, SIGHUP says there is nothing to reload and the node keeps running", async () => {
  const node = await startFulcrum(["--db", join(dir, "plain.db")]);
  process.kill(node.pid, "SIGHUP");
  await node.waitFor(/SIGHUP: nothing to reload \(started without --config\)/);
  process.kill(node.pid, "SIGUSR1");
  await node.waitFor(/SIGUSR1: /);
  expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  expect(await node.kill("SIGTERM")).toBe(0);
}, 20_000);
