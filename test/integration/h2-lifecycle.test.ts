/**
 * HTTP/2 connections through a real node over their life: each stream keeps its own timeouts (one
 * stream's 504 leaves the others on the connection alone), idle and silent connections are closed
 * with GOAWAY, the codec's protections fire and show in /metrics, and SIGTERM sends GOAWAY while
 * the streams in flight finish.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import { killAll } from "../helpers/process.ts";
import { ErrorCode, FrameType, RawH2, frame, u32 } from "../h2/helpers/raw-client.ts";
import { Flag } from "../../src/h2/index.ts";
import { closeH2Sessions, h2Call } from "./helpers/h2-call.ts";
import { backend, metric, removeTempDirs, startNode, type Backend, type L7Node } from "./helpers/l7-node.ts";

let slow: Backend;
let n: L7Node;
let port = 0;
let idlePort = 0;
const raws: RawH2[] = [];

beforeAll(async () => {
  slow = backend("slow", async (req) => {
    const ms = Number(new URL(req.url).searchParams.get("ms") ?? 0);
    await Bun.sleep(ms);
    return new Response(`slept ${ms}`);
  });
  n = await startNode({
    listeners: [
      {
        name: "web", protocol: "http", address: "127.0.0.1:0", pool: "app",
        routes: [{ name: "short", match: { path_prefix: "/short" }, timeout_ms: 300 }, { name: "whole", match: { path_prefix: "/whole" }, request_timeout_ms: 400 }],
      },
      { name: "idle", protocol: "http", address: "127.0.0.1:0", pool: "app", idle_timeout_ms: 400, header_timeout_ms: 400 },
    ],
    pools: [{ name: "app", backends: [{ address: slow.address }] }],
  });
  port = n.port("web");
  idlePort = n.port("idle");
});

afterAll(async () => {
  for (const r of raws) r.close();
  closeH2Sessions();
  await killAll();
  removeTempDirs();
  slow?.stop();
});

async function raw(p: number): Promise<RawH2> {
  const c = await RawH2.connect(p);
  raws.push(c);
  await c.waitFor((f) => f.type === FrameType.SETTINGS && f.flags === 0);
  return c;
}

describe("streams keep their own clocks", () => {
  test("one stream's response timeout is a 504 on it; the other streams of the connection are answered", async () => {
    const [late, quick] = await Promise.all([h2Call(port, "/short?ms=1500"), h2Call(port, "/short?ms=10")]);
    expect(late.status).toBe(504);
    expect(late.headers.get("x-fulcrum-error")).toBe("UPSTREAM_TIMEOUT");
    expect(quick.status).toBe(200);
    expect(await quick.text()).toBe("slept 10");
    expect((await h2Call(port, "/short?ms=0")).status).toBe(200); // the connection lives on
  });

  test("request_timeout_ms: 504 before the response starts, on that stream only", async () => {
    const res = await h2Call(port, "/whole?ms=2000");
    expect(res.status).toBe(504);
    expect((await h2Call(port, "/whole?ms=0")).status).toBe(200);
  });
});

describe("connection clocks", () => {
  test("an idle HTTP/2 connection gets GOAWAY NO_ERROR after idle_timeout_ms and is closed", async () => {
    const c = await raw(idlePort);
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, c.block("GET", "/?ms=0")));
    await c.waitFor((f) => f.type === FrameType.DATA && (f.flags & Flag.END_STREAM) !== 0);
    const t0 = performance.now();
    const g = await c.goaway(3000);
    expect(g).toMatchObject({ code: ErrorCode.NO_ERROR, last: 1 });
    expect(performance.now() - t0).toBeGreaterThan(200);
    await c.waitClosed();
  });

  test("a connection that sends its preface but no request is closed after header_timeout_ms", async () => {
    const c = await raw(idlePort);
    const g = await c.goaway(3000);
    expect(g).toMatchObject({ code: ErrorCode.NO_ERROR, last: 0 });
    await c.waitClosed();
  });
});

describe("protections, counted in /metrics", () => {
  test("rapid reset: GOAWAY ENHANCE_YOUR_CALM, fulcrum_listener_h2_protections_total{kind=rapid_reset}", async () => {
    const c = await raw(port);
    const burst: Buffer[] = [];
    for (let i = 0; i < 500; i++) {
      const sid = 2 * i + 1;
      burst.push(frame(FrameType.HEADERS, Flag.END_HEADERS, sid, c.block("POST", "/?ms=0")));
      burst.push(frame(FrameType.RST_STREAM, 0, sid, u32(ErrorCode.CANCEL)));
    }
    c.send(Buffer.concat(burst));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "RESET_FLOOD" });
    await c.waitClosed();
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_listener_h2_protections_total{listener="web",kind="rapid_reset"}')).toBe(1);
    expect(metric(m, 'fulcrum_listener_h2_client_resets_total{listener="web"}')).toBeGreaterThanOrEqual(100);
    expect(metric(m, 'fulcrum_listener_h2_connections_total{listener="web"}')).toBeGreaterThanOrEqual(1);
  });

  test("a stream past max_concurrent_streams (100) is refused with REFUSED_STREAM and counted", async () => {
    const c = await raw(port);
    const burst: Buffer[] = [];
    for (let i = 0; i < 101; i++) burst.push(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 2 * i + 1, c.block("GET", "/?ms=300")));
    c.send(Buffer.concat(burst));
    const rst = await c.waitFor((f) => f.type === FrameType.RST_STREAM);
    expect([rst.sid, c.rstCode(rst)]).toEqual([201, ErrorCode.REFUSED_STREAM]);
    const m = await n.metrics();
    expect(metric(m, 'fulcrum_listener_h2_protections_total{listener="web",kind="max_concurrent_streams"}')).toBeGreaterThanOrEqual(1);
  });
});

test("SIGTERM: GOAWAY to HTTP/2 clients, the streams in flight finish with 200, the process exits 0", async () => {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const goaway = new Promise<number>((resolve) => session.on("goaway", (code) => resolve(code)));
  session.on("error", () => {});
  const inflight = [0, 1, 2].map(() => new Promise<string>((resolve, reject) => {
    const st = session.request({ ":path": "/?ms=800" });
    let body = "", status = 0;
    st.on("response", (h) => (status = Number(h[":status"])));
    st.on("data", (d) => (body += d));
    st.on("end", () => resolve(`${status} ${body}`));
    st.on("error", reject);
    st.end();
  }));
  await Bun.sleep(200);
  process.kill(n.node.pid, "SIGTERM");
  expect(await goaway).toBe(http2.constants.NGHTTP2_NO_ERROR);
  expect(await Promise.all(inflight)).toEqual(["200 slept 800", "200 slept 800", "200 slept 800"]);
  expect(await n.node.exited).toBe(0);
  session.destroy();
}, 15_000);
