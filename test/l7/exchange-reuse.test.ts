/**
 * An HTTP/1.1 connection's finished exchange serves its next request (issue 17: no exchange made
 * per request), its hooks' state handed back to newCtx as soon as it ended. What must hold: nothing of a request reaches the next one (fields the hooks
 * added, the request id, the hooks' ctx), and no late event of a request touches the exchange
 * after it was reused: a client gone mid-response, a backend answering after the timeout reply,
 * a retry before the answer, pipelined requests answered from one backend packet after another.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { startProxy, type ProxyCtx, type ProxyServer } from "../../src/l7/index.ts";
import type { Origin } from "../helpers/origin.ts";
import { deadLoopbackPort, echoed, logsUntil, startReuseOrigin } from "./helpers/reuse-origin.ts";

interface Seen { ctx: object; user: object; code: string | undefined; attempt: number; status: number }

let origin: Origin;
let proxy: ProxyServer;
let deadPort = 0;
const seen: Seen[] = [];
const logged: Seen[] = [];
/** The hooks' states newCtx was handed back (a finished exchange kept for the next request). */
const retired: object[] = [];

beforeAll(() => {
  origin = startReuseOrigin();
  deadPort = deadLoopbackPort();
  let made = 0;
  const note = (ctx: ProxyCtx<{ n: number }>): Seen => ({ ctx, user: ctx.user, code: ctx.error?.code, attempt: ctx.attempt, status: ctx.status });
  proxy = startProxy<{ n: number }>({
    hooks: {
      newCtx(previous) {
        if (previous !== undefined) retired.push(previous);
        return { n: ++made };
      },
      onRequest(ctx) {
        seen.push(note(ctx));
        if (ctx.req.target.includes("edit")) ctx.addRequestFields = "x-edit: 1\r\n";
        if (ctx.req.target === "/late") ctx.responseTimeoutMs = 150;
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
  proxy.stop(true);
  origin.stop();
});

/** One client connection: writes requests and waits (bounded) for what it has read to satisfy a test. */
class Client {
  text = "";
  closed = false;
  private constructor(readonly sock: Socket<undefined>) {}

  static async open(port: number): Promise<Client> {
    let c!: Client;
    const sock = await Bun.connect({
      hostname: "127.0.0.1", port,
      socket: { data: (_s, d) => void (c.text += Buffer.from(d).toString("latin1")), close: () => void (c.closed = true), error: () => void (c.closed = true) },
    });
    c = new Client(sock);
    return c;
  }

  async until(ok: (text: string) => boolean, what: string, ms = 5_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!ok(this.text)) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; read: ${JSON.stringify(this.text)}`);
      await Bun.sleep(5);
    }
  }

  /** Responses read so far (heads with content-length bodies), with their JSON body when they have one. */
  responses(): { status: number; body: string }[] {
    const out: { status: number; body: string }[] = [];
    let at = 0;
    for (;;) {
      const headEnd = this.text.indexOf("\r\n\r\n", at);
      if (headEnd < 0) return out;
      const head = this.text.slice(at, headEnd);
      const len = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (headEnd + 4 + len > this.text.length) return out;
      out.push({ status: Number(head.slice(9, 12)), body: this.text.slice(headEnd + 4, headEnd + 4 + len) });
      at = headEnd + 4 + len;
    }
  }
}

const get = (path: string, extra = "") => `GET ${path} HTTP/1.1\r\nHost: a\r\n${extra}\r\n`;

describe("an exchange reused for the connection's next request", () => {
  test("is the same engine object with a fresh hooks' ctx, and carries nothing of the request before", async () => {
    const c = await Client.open(proxy.port);
    try {
      const from = seen.length;
      c.sock.write(get("/edit", "X-Request-Id: given-1\r\nX-One: 1\r\n"));
      await c.until(() => c.responses().length === 1, "first response");
      // let go of as soon as it ended (after onLog), not when the next request comes
      expect(retired).toContain(seen[from]!.user);
      c.sock.write(get("/plain"));
      await c.until(() => c.responses().length === 2, "second response");
      c.sock.write(get("/plain2"));
      await c.until(() => c.responses().length === 3, "third response");
      const [a, b, d] = seen.slice(from);
      expect(b!.ctx).toBe(a!.ctx); // reused, not made anew
      expect(d!.ctx).toBe(a!.ctx);
      expect(new Set([a!.user, b!.user, d!.user]).size).toBe(3);
      expect([b!.attempt, b!.status, b!.code]).toEqual([0, 0, undefined]);
      const [r1, r2, r3] = c.responses().map((r) => echoed(r.body));
      expect([r1!.headers["x-edit"], r1!.headers["x-one"], r1!.headers["x-request-id"]]).toEqual(["1", "1", "given-1"]);
      expect([r2!.path, r2!.headers["x-edit"], r2!.headers["x-one"]]).toEqual(["/plain", undefined as never, undefined as never]);
      expect(new Set([r1!.headers["x-request-id"], r2!.headers["x-request-id"], r3!.headers["x-request-id"]]).size).toBe(3);
    } finally {
      c.sock.end();
    }
  });

  test("pipelined requests each get their own fields and id, in order", async () => {
    const c = await Client.open(proxy.port);
    try {
      c.sock.write(get("/edit?1", "X-Request-Id: given-2\r\nX-One: 1\r\n") + get("/p?2") + get("/edit?3") + get("/p?4", "Connection: close\r\n"));
      await c.until(() => c.responses().length === 4, "four responses");
      const rs = c.responses().map((r) => echoed(r.body));
      expect(rs.map((r) => r.path)).toEqual(["/edit?1", "/p?2", "/edit?3", "/p?4"]);
      expect(rs.map((r) => r.headers["x-edit"] ?? "-")).toEqual(["1", "-", "1", "-"]);
      expect(rs.map((r) => r.headers["x-one"] ?? "-")).toEqual(["1", "-", "-", "-"]);
      expect(rs[0]!.headers["x-request-id"]).toBe("given-2");
      expect(new Set(rs.map((r) => r.headers["x-request-id"])).size).toBe(4);
      await c.until(() => c.closed, "close after Connection: close");
    } finally {
      c.sock.end();
    }
  });

  test("after a retry the next request starts at its first attempt", async () => {
    const c = await Client.open(proxy.port);
    try {
      const from = logged.length;
      c.sock.write(get("/retry"));
      await c.until(() => c.responses().length === 1, "retried response");
      c.sock.write(get("/after-retry"));
      await c.until(() => c.responses().length === 2, "next response");
      expect(c.responses().map((r) => [r.status, echoed(r.body).path])).toEqual([[200, "/retry"], [200, "/after-retry"]]);
      await logsUntil(logged, from + 2);
      expect(logged.slice(from).map((l) => [l.attempt, l.status])).toEqual([[2, 200], [1, 200]]);
    } finally {
      c.sock.end();
    }
  });

  test("a backend answering after the timeout reply never reaches the next request", async () => {
    const c = await Client.open(proxy.port);
    try {
      c.sock.write(get("/late"));
      await c.until(() => c.responses().length === 1, "504");
      c.sock.write(get("/next"));
      await c.until(() => c.responses().length === 2, "next response");
      await Bun.sleep(500); // the late answer (400 ms after the request) has come and gone by now
      const rs = c.responses();
      expect(rs.map((r) => r.status)).toEqual([504, 200]);
      expect(echoed(rs[1]!.body).path).toBe("/next");
      expect(c.text).not.toContain("/late");
      c.sock.write(get("/again"));
      await c.until(() => c.responses().length === 3, "third response");
      expect(echoed(c.responses()[2]!.body).path).toBe("/again");
    } finally {
      c.sock.end();
    }
  });

  test("a client gone mid-response ends its request once; the node serves the next connection", async () => {
    const from = logged.length;
    const c = await Client.open(proxy.port);
    c.sock.write(get("/stream"));
    await c.until((t) => t.includes("first;"), "the first body piece");
    c.sock.terminate();
    await logsUntil(logged, from + 1);
    expect(logged[from]!.code).toBe("CLIENT_CLOSED");
    await Bun.sleep(350); // the backend's second piece arrives for a request that is over
    const d = await Client.open(proxy.port);
    try {
      d.sock.write(get("/one"));
      await d.until(() => d.responses().length === 1, "first response");
      d.sock.write(get("/two"));
      await d.until(() => d.responses().length === 2, "second response");
      expect(d.responses().map((r) => echoed(r.body).path)).toEqual(["/one", "/two"]);
      expect(logged.length).toBe(from + 3);
    } finally {
      d.sock.end();
    }
  });
});
