/**
 * Per-backend traffic through a real node, and the same counters per listener, route and pool in
 * /v1/status: known traffic in (3 × 200 and 2 × 503 from one backend, a 503 retried onto another
 * backend, a 502 from a dead one, bytes over a tcp listener), exactly those numbers out.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { killAll } from "../helpers/process.ts";
import { backend, call, deadAddress, metric, startNode, until, type Backend, type L7Node, removeTempDirs } from "./helpers/l7-node.ts";

let mixed: Backend;
let bad: Backend;
let good: Backend;
let echo: TCPSocketListener<undefined>;
let n: L7Node;
let port = 0;
const dead = deadAddress();
const echoAddr = () => `127.0.0.1:${echo.port}`;

beforeAll(async () => {
  mixed = backend("mixed", (req) => (new URL(req.url).pathname.endsWith("/fail") ? new Response("down", { status: 503 }) : new Response("okay!")));
  bad = backend("bad", () => new Response("busy", { status: 503 }));
  good = backend("good", () => new Response("fine"));
  echo = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data(s: Socket<undefined>, d) { s.write(d); } } });
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "solo",
        routes: [
          { name: "pair", match: { path_prefix: "/pair" }, pool: "pair", retries: { attempts: 1, on: ["503"] } },
          { name: "gone", match: { path_prefix: "/gone" }, pool: "gone" },
          { name: "solo", match: { path_prefix: "/solo" }, pool: "solo" },
        ],
      },
      { name: "raw", protocol: "tcp", address: "127.0.0.1:0", pool: "tcp" },
    ],
    pools: [
      { name: "solo", backends: [{ address: mixed.address }] },
      { name: "pair", algorithm: "round_robin", backends: [{ address: bad.address }, { address: good.address }] },
      { name: "gone", backends: [{ address: dead }] },
      { name: "tcp", backends: [{ address: echoAddr() }] },
    ],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  [mixed, bad, good].forEach((x) => x.stop());
  echo.stop(true);
});

const find = (list: any[], pred: (x: any) => boolean) => {
  const x = list.find(pred);
  if (!x) throw new Error("not in /v1/status");
  return x;
};
const backendOf = (st: any, pool: string, addr: string) => find(find(st.pools, (p) => p.name === pool).backends, (b) => b.address === addr);
const poolOf = (st: any, pool: string) => find(st.pools, (p) => p.name === pool);
const routeOf = (st: any, route: string) => find(st.routes, (r) => r.listener === "web" && r.name === route);
const series = (name: string, pool: string, addr: string, extra = "") => `${name}{pool="${pool}",backend="${addr}"${extra}}`;

describe("per-backend traffic through a real node, and the same set per listener, route and pool", () => {
  let sent = 0;
  let pairSent = 0;
  let goneCode = "";

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) expect((await (await call(port, "/solo/ok")).text())).toBe("okay!");
    for (let i = 0; i < 2; i++) {
      const res = await call(port, "/solo/fail", { method: "POST", body: "hello" });
      expect([res.status, await res.text()]).toEqual([503, "down"]);
    }
    // Round robin over [bad, good]: a request that starts on bad is retried onto good. Send until
    // exactly one did (bounded); every one of them is answered by good.
    while (bad.hits === 0 && pairSent < 4) {
      const res = await call(port, "/pair");
      pairSent++;
      expect([res.status, await res.text()]).toEqual([200, "fine"]);
    }
    expect(bad.hits).toBe(1);
    const gone = await call(port, "/gone");
    await gone.arrayBuffer();
    expect(gone.status).toBe(502);
    goneCode = gone.headers.get("x-fulcrum-error") ?? "";
    expect(goneCode).toBe("UPSTREAM_CONNECT_FAILED");
    sent = 5 + pairSent + 1;
  });

  test("/metrics: each backend's attempts by status class, bytes, retries, errors by code and upstream latency", async () => {
    const m = await n.metrics();
    const req = "fulcrum_backend_http_requests_total";
    expect(metric(m, series(req, "solo", mixed.address, ',class="2xx"'))).toBe(3);
    expect(metric(m, series(req, "solo", mixed.address, ',class="5xx"'))).toBe(2);
    expect(metric(m, series("fulcrum_backend_bytes_total", "solo", mixed.address, ',direction="in"'))).toBe(10);
    expect(metric(m, series("fulcrum_backend_bytes_total", "solo", mixed.address, ',direction="out"'))).toBe(3 * 5 + 2 * 4);
    expect(metric(m, series("fulcrum_backend_http_retries_total", "solo", mixed.address))).toBe(0);
    expect(metric(m, series("fulcrum_backend_upstream_latency_seconds_count", "solo", mixed.address))).toBe(5);
    expect(metric(m, series("fulcrum_backend_upstream_latency_seconds_bucket", "solo", mixed.address, ',le="+Inf"'))).toBe(5);
    // The 503 dropped for the retry is bad's attempt; good answered every request, one of them as a retry.
    expect(metric(m, series(req, "pair", bad.address, ',class="5xx"'))).toBe(1);
    expect(metric(m, series(req, "pair", good.address, ',class="2xx"'))).toBe(pairSent);
    expect(metric(m, series("fulcrum_backend_http_retries_total", "pair", good.address))).toBe(1);
    expect(metric(m, series("fulcrum_backend_http_retries_total", "pair", bad.address))).toBe(0);
    expect(metric(m, series("fulcrum_backend_upstream_latency_seconds_count", "pair", good.address))).toBe(pairSent);
    expect(metric(m, series(req, "gone", dead, ',class="5xx"'))).toBe(1);
    expect(metric(m, series("fulcrum_backend_http_errors_total", "gone", dead, `,code="${goneCode}"`))).toBe(1);
    expect(metric(m, series("fulcrum_backend_http_errors_total", "solo", mixed.address, `,code="${goneCode}"`))).toBe(0);
    expect(metric(m, series("fulcrum_backend_active", "solo", mixed.address))).toBe(0);
    // The pool histogram stays, and equals the sum of its backends'.
    expect(metric(m, 'fulcrum_pool_upstream_latency_seconds_count{pool="pair"}')).toBe(pairSent);
    for (const name of ["fulcrum_backend_http_requests_total", "fulcrum_backend_bytes_total", "fulcrum_backend_http_retries_total", "fulcrum_backend_http_errors_total", "fulcrum_backend_upstream_latency_seconds"]) {
      expect(m).toContain(`# HELP ${name} `);
    }
  });

  test("/v1/status: a traffic object per listener, route, pool and backend, beside the existing fields", async () => {
    const st = await n.status();
    const solo = { requests: 5, by_class: { "2xx": 3, "5xx": 2 }, active: 0, bytes_in: 10, bytes_out: 23, retries: 0, errors: {} };
    expect(routeOf(st, "solo").traffic).toEqual(solo);
    expect(poolOf(st, "solo").traffic).toEqual(solo);
    const m = backendOf(st, "solo", mixed.address);
    expect(m.traffic).toEqual(solo);
    expect(m).toMatchObject({ health: "unknown", requests_total: 5, active_requests: 0, failures_total: 0, ejected: false });

    const pair = { requests: pairSent, by_class: { "2xx": pairSent }, active: 0, bytes_in: 0, bytes_out: 4 * pairSent, retries: 1, errors: {} };
    expect(routeOf(st, "pair").traffic).toEqual(pair);
    expect(poolOf(st, "pair").traffic).toEqual(pair);
    expect(backendOf(st, "pair", good.address).traffic).toEqual(pair);
    expect(backendOf(st, "pair", bad.address).traffic).toEqual({ requests: 1, by_class: { "5xx": 1 }, active: 0, bytes_in: 0, bytes_out: 0, retries: 0, errors: {} });

    const gone = { requests: 1, by_class: { "5xx": 1 }, active: 0, bytes_in: 0, bytes_out: 0, retries: 0, errors: { [goneCode]: 1 } };
    expect(routeOf(st, "gone").traffic).toEqual(gone);
    expect(poolOf(st, "gone").traffic).toEqual(gone);
    expect(backendOf(st, "gone", dead).traffic).toEqual(gone);
    expect(backendOf(st, "gone", dead).failures_total).toBe(1);

    const web = find(st.listeners, (l) => l.name === "web");
    expect(web.traffic).toEqual({
      requests: sent, by_class: { "2xx": 3 + pairSent, "5xx": 3 }, active: 0, bytes_in: 10, bytes_out: 23 + 4 * pairSent, retries: 1, errors: { [goneCode]: 1 },
    });
    expect(web).toMatchObject({ protocol: "http", bound: true });
    // Request counters belong to the HTTP engine: a tcp listener has none.
    expect(find(st.listeners, (l) => l.name === "raw").traffic).toBeUndefined();
  });

  test("an L4 backend's bytes (from and to the client) are exported and shown once its connection closes", async () => {
    const got: Buffer[] = [];
    const sock = await Bun.connect({ hostname: "127.0.0.1", port: n.port("raw"), socket: { data(_s, d) { got.push(Buffer.from(d)); } } });
    sock.write("ping!!");
    await until(() => Buffer.concat(got).toString() === "ping!!");
    sock.end();
    const bytes = (dir: string, m: string) => metric(m, series("fulcrum_backend_bytes_total", "tcp", echoAddr(), `,direction="${dir}"`));
    await until(async () => bytes("in", await n.metrics()) === 6);
    const m = await n.metrics();
    expect(bytes("out", m)).toBe(6);
    expect(metric(m, series("fulcrum_backend_requests_total", "tcp", echoAddr()))).toBe(1);
    const t = backendOf(await n.status(), "tcp", echoAddr()).traffic;
    expect(t).toMatchObject({ bytes_in: 6, bytes_out: 6, active: 0, requests: 0 });
  });
});
