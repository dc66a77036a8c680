/**
 * /metrics of a real node that carried http (HTTP/1.1 and h2c), tcp and udp traffic, read as
 * Prometheus would (issue 12 item 9): `promtool check metrics` has nothing to say; every family belongs to one level
 * (listener, route, pool, backend; tracing, admin and config are the node's own; worker with
 * workers), so summing a
 * family counts each request once; the build and
 * the process are described (fulcrum_build_info, process_*), as the Go client does.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { killAll } from "../helpers/process.ts";
import { echoBackend } from "../l4/helpers/backends.ts";
import { udpClient, udpEcho } from "../l4/helpers/udp.ts";
import { closeH2Sessions, h2Call } from "./helpers/h2-call.ts";
import { backend, call, deadAddress, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";

const web = backend("web");
const tcp = echoBackend();
let udp: Awaited<ReturnType<typeof udpEcho>>;
let n: L7Node;
let startedAt = 0;

/** Every sample line as [name, labels, value], without HELP/TYPE lines. */
function samples(text: string): [string, Record<string, string>, number][] {
  const out: [string, Record<string, string>, number][] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    out.push([m[1]!, labels, Number(m[3])]);
  }
  return out;
}

/** Sum of a family's samples whose labels include `where`. */
function sum(text: string, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const [n, labels, v] of samples(text)) {
    if (n === name && Object.entries(where).every(([k, x]) => labels[k] === x)) total += v;
  }
  return total;
}

/** The label names each family's samples carry (one set per family, `le` left out). */
function labelNames(text: string, name: string): string[] {
  const names = new Set<string>();
  for (const [n, labels] of samples(text)) if (n === name) for (const k of Object.keys(labels)) if (k !== "le") names.add(k);
  return [...names].sort();
}

beforeAll(async () => {
  udp = await udpEcho("u");
  startedAt = Date.now() / 1000;
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
        // an endpoint that refuses: the tracing series get labels (and are linted) without a receiver
        tracing: { sample_rate: 1, otlp_endpoint: `http://${deadAddress()}` },
        routes: [{ name: "api", match: { path_prefix: "/api" }, pool: "app" }, { name: "gone", match: { path_prefix: "/gone" }, pool: "dead" }],
      },
      { name: "tcp-in", protocol: "tcp", address: "127.0.0.1:0", pool: "tcp" },
      { name: "udp-in", protocol: "udp", address: "127.0.0.1:0", pool: "udp" },
      // no traffic: there so its handshake-timeout series is exposed (and linted) too
      { name: "tcp-proxy", protocol: "tcp", address: "127.0.0.1:0", pool: "tcp", proxy_protocol: { accept_from: ["127.0.0.1/32"] } },
    ],
    pools: [
      { name: "app", backends: [{ address: web.address }] },
      { name: "dead", backends: [{ address: deadAddress() }] },
      { name: "tcp", backends: [{ address: `127.0.0.1:${tcp.port}` }] },
      { name: "udp", backends: [{ address: `127.0.0.1:${udp.port}` }] },
    ],
  });
  const port = n.port("web");
  for (let i = 0; i < 5; i++) await (await call(port, `/api/${i}?q=${i}`)).arrayBuffer();
  for (let i = 0; i < 2; i++) await (await call(port, "/")).arrayBuffer();
  await (await h2Call(port, "/")).arrayBuffer(); // h2c: the fulcrum_listener_h2_* series too
  closeH2Sessions();
  expect((await call(port, "/gone")).status).toBe(502);

  const got = { text: "" };
  const sock = await Bun.connect({ hostname: "127.0.0.1", port: n.port("tcp-in"), socket: { data: (_s, d) => void (got.text += d.toString()) } });
  sock.write("hello tcp");
  await until(() => got.text === "hello tcp");
  sock.end();

  const client = await udpClient();
  client.send(n.port("udp-in"), "hello udp");
  await until(() => client.replies.length === 1);
  client.close();
  const dry = await fetch(`${n.node.url}/v1/pools/app/backends?dry_run=true`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address: "127.0.0.1:9" }),
  });
  expect(dry.status).toBeLessThan(300);
  // an L4 connection's bytes are counted when it closes
  await until(async () => sum(await n.metrics(), "fulcrum_backend_bytes_total", { pool: "tcp" }) === 18);
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  web.stop();
  tcp.stop(true);
  udp.stop();
});

describe("/metrics of a node with http, tcp and udp traffic", () => {
  test("promtool check metrics finds nothing to say", async () => {
    const text = await n.metrics();
    const p = Bun.spawn(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
    expect(out + err).toBe("");
    expect(code).toBe(0);
  });

  test("every family is named for its level, and no series carries a scope label", async () => {
    const text = await n.metrics();
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!);
    // worker: a node of several workers (the default here, one per core) adds its per-worker series.
    const stray = families.filter((f) => !/^(fulcrum_(listener|route|pool|backend|admin|config|tracing|worker)_|process_|fulcrum_build_info$)/.test(f));
    expect(stray).toEqual([]);
    expect(samples(text).filter(([, labels]) => "scope" in labels || "name" in labels)).toEqual([]);
    for (const [family, labels] of [
      ["fulcrum_listener_http_requests_total", ["class", "listener"]],
      ["fulcrum_route_http_requests_total", ["class", "listener", "route"]],
      ["fulcrum_pool_http_requests_total", ["class", "pool"]],
      ["fulcrum_backend_http_requests_total", ["backend", "class", "pool"]],
      ["fulcrum_listener_udp_flows", ["listener"]],
      ["fulcrum_pool_upstream_latency_seconds_bucket", ["pool"]],
      ["fulcrum_pool_health_transitions_total", ["pool", "to"]],
      ["fulcrum_tracing_spans_exported_total", ["endpoint"]],
    ] as const) {
      expect([family, labelNames(text, family)]).toEqual([family, [...labels]]);
    }
  });

  test("summing a family counts each request once, at every level", async () => {
    const text = await n.metrics();
    expect(sum(text, "fulcrum_listener_http_requests_total")).toBe(9);
    expect(sum(text, "fulcrum_route_http_requests_total")).toBe(6);
    expect(sum(text, "fulcrum_route_http_requests_total", { route: "api", class: "2xx" })).toBe(5);
    expect(sum(text, "fulcrum_pool_http_requests_total")).toBe(9);
    expect(sum(text, "fulcrum_pool_http_requests_total", { pool: "dead", class: "5xx" })).toBe(1);
    expect(sum(text, "fulcrum_listener_http_errors_total", { code: "UPSTREAM_CONNECT_FAILED" })).toBe(1);
    expect(sum(text, "fulcrum_backend_http_requests_total", { pool: "app" })).toBe(8);
    expect(sum(text, "fulcrum_backend_requests_total", { pool: "tcp" })).toBe(1);
    expect(sum(text, "fulcrum_backend_requests_total", { pool: "udp" })).toBe(1);
    expect(sum(text, "fulcrum_listener_udp_flows", { listener: "udp-in" })).toBe(1);
    expect(sum(text, "fulcrum_listener_h2_streams_total", { listener: "web" })).toBe(1);
    expect(sum(text, "fulcrum_listener_bound")).toBe(4);
    expect(sum(text, "fulcrum_config_writes_total", { result: "dry_run" })).toBe(1);
    expect(samples(text).filter(([name, labels]) => name === "fulcrum_listener_handshake_timeouts_total" && labels.listener === "tcp-proxy").length).toBe(1);
  });

  test("fulcrum_build_info names the version and the git commit the node runs from", async () => {
    const text = await n.metrics();
    // With one worker per core (the default) the node's own series are still read once, never summed over workers.
    if (availableParallelism() > 1) expect(samples(text).filter(([name]) => name === "fulcrum_worker_up").length).toBe(availableParallelism());
    const head = Bun.spawnSync(["git", "rev-parse", "HEAD"], { cwd: join(import.meta.dir, "..", "..") }).stdout.toString().trim();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    const pkg = await Bun.file(join(import.meta.dir, "..", "..", "package.json")).json();
    expect(samples(text).filter(([name]) => name === "fulcrum_build_info")).toEqual([
      ["fulcrum_build_info", { version: pkg.version, commit: head }, 1],
    ]);
  });

  test("process_* describe the node's process, read from /proc as the Go client does", async () => {
    const text = await n.metrics();
    const one = (name: string) => {
      const s = samples(text).filter(([x]) => x === name);
      expect([name, s.length]).toEqual([name, 1]);
      return s[0]![2];
    };
    expect(one("process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(one("process_resident_memory_bytes")).toBeGreaterThan(10 * 1024 * 1024);
    expect(one("process_virtual_memory_bytes")).toBeGreaterThan(one("process_resident_memory_bytes"));
    expect(one("process_open_fds")).toBeGreaterThan(3);
    expect(one("process_max_fds")).toBeGreaterThanOrEqual(one("process_open_fds"));
    const start = one("process_start_time_seconds");
    expect(start).toBeGreaterThan(startedAt - 2);
    expect(start).toBeLessThan(Date.now() / 1000);
  });
});
