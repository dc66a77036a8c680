/**
 * A real client's keep-alive through a real node: one `curl` run with two URLs sends both
 * requests on one client connection. curl says so itself (no new connect for the second transfer,
 * "Re-using existing connection" on stderr), and the node agrees: while the second request is at
 * the backend, the listener has exactly one client connection open.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { backend, removeTempDirs, startNode, type L7Node } from "./helpers/l7-node.ts";

let n: L7Node;
let port = 0;
/** The listener's active_connections seen from inside each /b request. */
const openDuringB: number[] = [];

const be = backend("ka", (req) => {
  if (new URL(req.url).pathname !== "/b") return undefined;
  return n.status().then((st) => {
    openDuringB.push(st.listeners.find((l: any) => l.name === "web")?.active_connections ?? -1);
    return new Response("b");
  });
});

beforeAll(async () => {
  n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "ka" }],
    pools: [{ name: "ka", backends: [{ address: be.address }] }],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  be.stop();
});

/** Runs curl (bounded by --max-time and a kill timer) and returns its exit code and output. */
async function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const p = Bun.spawn(["curl", "--max-time", "5", ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => p.kill("SIGKILL"), 8000);
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  clearTimeout(timer);
  return { code, stdout, stderr };
}

test("curl with two URLs reuses one connection through the node", async () => {
  openDuringB.length = 0;
  const hits = be.hits;
  const base = `http://127.0.0.1:${port}`;
  // -w per transfer: the status and how many new connections that transfer made
  const r = await curl(["-sv", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n", `${base}/a`, `${base}/b`]);
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split("\n")).toEqual(["200 1", "200 0"]);
  expect(r.stderr).toMatch(/Re-using existing connection/);
  expect(r.stderr.match(/Connected to 127\.0\.0\.1/g)?.length).toBe(1);
  expect(be.hits).toBe(hits + 2);
  expect(openDuringB).toEqual([1]);
});

test("the control: curl told to close after each request makes two connections", async () => {
  const base = `http://127.0.0.1:${port}`;
  const r = await curl(["-s", "-o", "/dev/null", "-o", "/dev/null", "-H", "connection: close", "-w", "%{http_code} %{num_connects}\\n", `${base}/a`, `${base}/c`]);
  expect(r.code).toBe(0);
  expect(r.stdout.trim().split("\n")).toEqual(["200 1", "200 1"]);
});
