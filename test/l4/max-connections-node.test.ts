/**
 * A tcp listener at its max_connections, through a real `fulcrum start` node (issue 17): with 50
 * allowed and 200 clients at once, 50 are relayed and the other 150 are closed at once without a
 * byte (the documented answer, counted in fulcrum_listener_refused_connections_total); the node
 * keeps serving, counts 50 open, and accepts again as relayed ones close. One worker: a listener's
 * max_connections is per worker, as nginx's worker_connections (README, "Workers").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";
import { echoBackend } from "./helpers/backends.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-max-conns-"));
const echo = echoBackend();
let node: StartedNode;
let port = 0;
const held: Socket<unknown>[] = [];

beforeAll(async () => {
  const config = {
    listeners: [{ name: "capped", protocol: "tcp", address: "127.0.0.1:0", pool: "echo", max_connections: 50 }],
    pools: [{ name: "echo", backends: [{ address: `127.0.0.1:${echo.port}` }] }],
  };
  writeFileSync(join(dir, "config.json"), JSON.stringify(config));
  node = await startFulcrum(["--config", join(dir, "config.json"), "--db", ":memory:", "--workers", "1"]);
  port = Number((await node.waitFor(/listener capped \(tcp\) on 127\.0\.0\.1:(\d+)/))[1]);
});

afterAll(async () => {
  for (const s of held) s.terminate();
  await killAll();
  echo.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

/** Connects, sends "ping": "relayed" once it comes back (the socket is kept), "closed" if closed first. */
function client(): Promise<"relayed" | "closed" | "timeout"> {
  const { promise, resolve } = Promise.withResolvers<"relayed" | "closed" | "timeout">();
  const timer = setTimeout(() => resolve("timeout"), 10_000);
  let got = "";
  Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      open: (s) => void s.write("ping"),
      data(s, d) {
        got += d.toString();
        if (got !== "ping") return;
        held.push(s);
        clearTimeout(timer);
        resolve("relayed");
      },
      close() {
        clearTimeout(timer);
        resolve(got === "" ? "closed" : "timeout");
      },
      error() {},
    },
  }).catch(() => resolve("closed"));
  return promise;
}

async function active(): Promise<number> {
  const body = (await (await fetch(`${node.url}/v1/status`)).json()) as { listeners: { name: string; active_connections?: number }[] };
  return body.listeners.find((l) => l.name === "capped")!.active_connections!;
}

async function refused(): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith('fulcrum_listener_refused_connections_total{listener="capped"} '));
  return Number(line?.split(" ")[1] ?? NaN);
}

async function until(fn: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await Bun.sleep(25);
  }
}

const tally = (rs: string[]) => ({ relayed: rs.filter((r) => r === "relayed").length, closed: rs.filter((r) => r === "closed").length });

test("200 clients at max_connections 50: 50 relayed, 150 closed at once without a byte, the node serving on", async () => {
  const results = await Promise.all(Array.from({ length: 200 }, client));
  expect(tally(results)).toEqual({ relayed: 50, closed: 150 });
  expect(await active()).toBe(50);
  expect(await refused()).toBe(150);
  expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
}, 30_000);

test("as relayed connections close, new clients are relayed again, up to the cap", async () => {
  for (const s of held.splice(0, 10)) s.end();
  await until(async () => (await active()) === 40);
  const results = await Promise.all(Array.from({ length: 20 }, client));
  expect(tally(results)).toEqual({ relayed: 10, closed: 10 });
  expect(await active()).toBe(50);
  expect(await refused()).toBe(160);
}, 30_000);
