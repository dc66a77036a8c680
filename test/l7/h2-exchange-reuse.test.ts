/**
 * An HTTP/2 client stream's finished exchange serves a later stream (issue 15: no exchange, no
 * request state made per stream), on its connection or another of its listener's. What must hold,
 * as for HTTP/1.1 (exchange-reuse.test.ts): nothing of a request reaches the next one (fields the
 * hooks added, the request id, the hooks' ctx, the connection), and no late event of a stream
 * touches the exchange once reused: a client reset mid-response, a backend answering after the
 * timeout reply, a retry before the answer, a hook's answer followed by streams in the same packet.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Flag } from "../../src/h2/index.ts";
import { startProxy, type ConnCtx, type ProxyCtx, type ProxyServer } from "../../src/l7/index.ts";
import type { Origin } from "../helpers/origin.ts";
import { deadLoopbackPort, echoed, logsUntil, startReuseOrigin } from "./helpers/reuse-origin.ts";
import { ErrorCode, FrameType, RawH2, frame, settings, u32 } from "../h2/helpers/raw-client.ts";

interface Seen { ctx: object; user: object; code: string | undefined; attempt: number; status: number; conn: unknown }

let origin: Origin;
let proxy: ProxyServer;
let deadPort = 0;
const seen: Seen[] = [];
const logged: Seen[] = [];
/** The hooks' states newCtx was handed back (a finished exchange kept for a later stream). */
const retired: object[] = [];
const clients: RawH2[] = [];

beforeAll(() => {
  origin = startReuseOrigin();
  deadPort = deadLoopbackPort();
  let made = 0, conns = 0;
  const note = (ctx: ProxyCtx<{ n: number }>): Seen => ({
    ctx, user: ctx.user, code: ctx.error?.code, attempt: ctx.attempt, status: ctx.status, conn: ctx.conn.slot,
  });
  proxy = startProxy<{ n: number }>({
    hooks: {
      newCtx(previous) {
        if (previous !== undefined) retired.push(previous);
        return { n: ++made };
      },
      onConnOpen(conn: ConnCtx) {
        conn.slot = ++conns;
      },
      onRequest(ctx) {
        seen.push(note(ctx));
        if (ctx.req.target.includes("edit")) ctx.addRequestFields = "x-edit: 1\r\n";
        if (ctx.req.target === "/late") ctx.responseTimeoutMs = 150;
        if (ctx.req.target === "/answer") return { status: 204 };
        return null;
      },
      selectUpstream: (ctx) => ({ address: ctx.req.target === "/retry" && ctx.attempt === 1 ? `127.0.0.1:${deadPort}` : origin.address }),
      onConnectFailure: (ctx) => ctx.attempt < 2,
      onLog: (ctx) => void logged.push(note(ctx)),
    },
    timeouts: { responseMs: 10_000 },
  });
});

afterAll(() => {
  for (const c of clients) c.close();
  proxy.stop(true);
  origin.stop();
});

async function open(): Promise<RawH2> {
  const c = await RawH2.connect(proxy.port, settings([]));
  clients.push(c);
  c.send(frame(FrameType.SETTINGS, Flag.ACK, 0));
  return c;
}

/** HEADERS ending the stream: a bodiless request. */
function get(c: RawH2, sid: number, path: string, extra: [string, string][] = []): Buffer {
  return frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, sid, c.block("GET", path, extra));
}

/** Waits (bounded) for stream `sid`'s whole response: its status and body. */
async function response(c: RawH2, sid: number): Promise<{ status: number; body: string }> {
  await c.waitFor((f) => f.sid === sid && (f.type === FrameType.DATA || f.type === FrameType.HEADERS) && (f.flags & Flag.END_STREAM) !== 0);
  const head = c.frames.find((f) => f.sid === sid && f.type === FrameType.HEADERS)!;
  const body = Buffer.concat(c.frames.filter((f) => f.sid === sid && f.type === FrameType.DATA).map((f) => f.payload)).toString();
  return { status: Number(head.fields!.find(([n]) => n === ":status")![1]), body };
}


describe("an HTTP/2 stream's exchange reused for a later stream", () => {
  test("is the same engine object with a fresh hooks' ctx, and carries nothing of the stream before", async () => {
    const c = await open();
    const from = seen.length;
    c.send(get(c, 1, "/edit", [["x-request-id", "given-1"], ["x-one", "1"]]));
    const r1 = echoed((await response(c, 1)).body);
    expect(retired).toContain(seen[from]!.user); // let go of as soon as it ended, not when the next stream comes
    c.send(get(c, 3, "/plain"));
    const r2 = echoed((await response(c, 3)).body);
    c.send(get(c, 5, "/plain2"));
    const r3 = echoed((await response(c, 5)).body);
    const [a, b, d] = seen.slice(from);
    expect(b!.ctx).toBe(a!.ctx); // reused, not made anew
    expect(d!.ctx).toBe(a!.ctx);
    expect(new Set([a!.user, b!.user, d!.user]).size).toBe(3);
    expect([b!.attempt, b!.status, b!.code]).toEqual([0, 0, undefined]);
    expect([r1.headers["x-edit"], r1.headers["x-one"], r1.headers["x-request-id"]]).toEqual(["1", "1", "given-1"]);
    expect([r2.path, r2.headers["x-edit"], r2.headers["x-one"]]).toEqual(["/plain", undefined as never, undefined as never]);
    expect(new Set([r1.headers["x-request-id"], r2.headers["x-request-id"], r3.headers["x-request-id"]]).size).toBe(3);
  });

  test("serving another connection, the ctx is that connection's", async () => {
    const a = await open();
    const from = seen.length;
    a.send(get(a, 1, "/on-a"));
    expect(echoed((await response(a, 1)).body).path).toBe("/on-a");
    const b = await open();
    b.send(get(b, 1, "/on-b"));
    expect(echoed((await response(b, 1)).body).path).toBe("/on-b");
    const [onA, onB] = seen.slice(from);
    expect(onB!.ctx).toBe(onA!.ctx);
    expect(typeof onA!.conn).toBe("number");
    expect(onB!.conn).not.toBe(onA!.conn); // the slot onConnOpen gave connection b
  });

  test("a hook's answer, then streams in the same packet: each answered and logged once", async () => {
    const c = await open();
    const from = logged.length;
    c.send(Buffer.concat([get(c, 1, "/answer"), get(c, 3, "/after"), get(c, 5, "/answer"), get(c, 7, "/after2")]));
    expect((await response(c, 1)).status).toBe(204);
    expect(echoed((await response(c, 3)).body).path).toBe("/after");
    expect((await response(c, 5)).status).toBe(204);
    expect(echoed((await response(c, 7)).body).path).toBe("/after2");
    await logsUntil(logged, from + 4);
    await Bun.sleep(50);
    expect(logged.slice(from).map((l) => l.status).sort()).toEqual([200, 200, 204, 204]);
    c.send(get(c, 9, "/again"));
    expect(echoed((await response(c, 9)).body).path).toBe("/again");
  });

  test("a stream after a hook's answer in the same packet still sends its whole upload", async () => {
    const c = await open();
    const answered = get(c, 1, "/answer"); // header blocks in the order sent (HPACK's table)
    c.send(Buffer.concat([answered, frame(FrameType.HEADERS, Flag.END_HEADERS, 3, c.block("POST", "/early", [["content-length", "12"]]))]));
    expect((await response(c, 1)).status).toBe(204);
    // the backend answers before reading the body: the request is still being sent
    expect(echoed((await response(c, 3)).body).path).toBe("/early");
    c.send(frame(FrameType.DATA, Flag.END_STREAM, 3, Buffer.from("twelve bytes")));
    for (let sid = 5; sid <= 9; sid += 2) {
      c.send(get(c, sid, `/after?${sid}`));
      expect(echoed((await response(c, sid)).body).path).toBe(`/after?${sid}`);
    }
  });

  test("after a retry the next stream starts at its first attempt", async () => {
    const c = await open();
    const from = logged.length;
    c.send(get(c, 1, "/retry"));
    expect(echoed((await response(c, 1)).body).path).toBe("/retry");
    c.send(get(c, 3, "/after-retry"));
    expect(echoed((await response(c, 3)).body).path).toBe("/after-retry");
    await logsUntil(logged, from + 2);
    expect(logged.slice(from).map((l) => [l.attempt, l.status])).toEqual([[2, 200], [1, 200]]);
  });

  test("a backend answering after the timeout reply never reaches a later stream", async () => {
    const c = await open();
    const from = seen.length;
    c.send(get(c, 1, "/late"));
    expect((await response(c, 1)).status).toBe(504);
    c.send(get(c, 3, "/next"));
    expect(echoed((await response(c, 3)).body).path).toBe("/next");
    expect(seen[from + 1]!.ctx).not.toBe(seen[from]!.ctx); // a timed-out exchange is never kept
    await Bun.sleep(500); // the late answer (400 ms after the request) has come and gone by now
    c.send(get(c, 5, "/again"));
    expect(echoed((await response(c, 5)).body).path).toBe("/again");
    const data = c.frames.filter((f) => f.type === FrameType.DATA).map((f) => f.payload.toString()).join("");
    expect(data).not.toContain("/late");
    expect(c.frames.filter((f) => f.type === FrameType.HEADERS).map((f) => f.sid)).toEqual([1, 3, 5]);
  });

  test("a stream reset mid-response ends its request once; its exchange is not reused", async () => {
    const c = await open();
    const from = logged.length, seenFrom = seen.length;
    c.send(get(c, 1, "/stream"));
    await c.waitFor((f) => f.type === FrameType.DATA && f.sid === 1 && f.payload.toString().includes("first;"));
    c.send(frame(FrameType.RST_STREAM, 0, 1, u32(ErrorCode.CANCEL)));
    await logsUntil(logged, from + 1);
    expect(logged[from]!.code).toBe("CLIENT_CLOSED");
    c.send(get(c, 3, "/one"));
    expect(echoed((await response(c, 3)).body).path).toBe("/one");
    expect(seen[seenFrom + 1]!.ctx).not.toBe(seen[seenFrom]!.ctx);
    await Bun.sleep(350); // the backend's second piece arrives for a request that is over
    c.send(get(c, 5, "/two"));
    expect(echoed((await response(c, 5)).body).path).toBe("/two");
    expect(c.frames.filter((f) => f.type === FrameType.DATA && f.sid !== 1).map((f) => f.payload.toString()).join("")).not.toContain("second");
    await Bun.sleep(50);
    expect(logged.length).toBe(from + 3);
  });
});
