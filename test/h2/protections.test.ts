/**
 * Known HTTP/2 attacks against the codec's server over real sockets, each ending in the RFC's
 * answer (GOAWAY with its code, or RST_STREAM where the RFC says) and a count:
 * rapid reset (CVE-2023-44487), CONTINUATION flood (CVE-2024-27316), HPACK bomb, SETTINGS and PING
 * floods (CVE-2019-9515/9512), empty frame floods (CVE-2019-9518), zero-window stall, and too many
 * concurrent streams.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { Flag, SettingId } from "../../src/h2/index.ts";
import { startH2Server, type H2ServerOptions, type H2TestServer } from "./helpers/h2-server.ts";
import { ErrorCode, FrameType, RawH2, frame, settings, u32 } from "./helpers/raw-client.ts";

let servers: H2TestServer[] = [];
const clients: RawH2[] = [];

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.stop();
});

function server(opts: H2ServerOptions = {}): H2TestServer {
  const s = startH2Server(opts);
  servers.push(s);
  return s;
}

async function client(port: number, first?: Buffer): Promise<RawH2> {
  const c = await RawH2.connect(port, first);
  clients.push(c);
  await c.waitFor((f) => f.type === FrameType.SETTINGS && f.flags === 0); // the server's preface
  return c;
}

const ACK = (f: { type: number; flags: number }) => (f.flags & Flag.ACK) !== 0;

describe("rapid reset (CVE-2023-44487)", () => {
  test("streams opened and reset in a loop get GOAWAY ENHANCE_YOUR_CALM after ~100, each counted", async () => {
    const srv = server();
    const c = await client(srv.port);
    const burst: Buffer[] = [];
    for (let i = 0; i < 1000; i++) {
      const sid = 2 * i + 1;
      burst.push(frame(FrameType.HEADERS, Flag.END_HEADERS, sid, c.block("POST", "/echo")));
      burst.push(frame(FrameType.RST_STREAM, 0, sid, u32(ErrorCode.CANCEL)));
    }
    c.send(Buffer.concat(burst));
    const g = await c.goaway();
    expect(g).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "RESET_FLOOD" });
    await c.waitClosed();
    expect(srv.counters.resetFloods).toBe(1);
    // the server stopped after the first hundred or so, not after a thousand
    expect(srv.counters.peerResets).toBeGreaterThanOrEqual(100);
    expect(srv.counters.peerResets).toBeLessThan(110);
    expect(g.last).toBeLessThan(230);
  });

  test("a client that cancels fewer than half of its streams is never cut off", async () => {
    const srv = server();
    const c = await client(srv.port);
    const burst: Buffer[] = [];
    for (let i = 0; i < 600; i++) {
      const sid = 2 * i + 1;
      burst.push(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, sid, c.block("GET", "/")));
      if (i % 3 === 0) burst.push(frame(FrameType.RST_STREAM, 0, sid + 2 < 1200 ? sid : sid, u32(ErrorCode.CANCEL)));
    }
    c.send(Buffer.concat(burst));
    c.send(frame(FrameType.PING, 0, 0, Buffer.alloc(8, 1)));
    await c.waitFor((f) => f.type === FrameType.PING && ACK(f));
    expect(c.count(FrameType.GOAWAY)).toBe(0);
    expect(srv.counters.resetFloods).toBe(0);
  });
});

describe("CONTINUATION flood (CVE-2024-27316)", () => {
  test("a header block that never ends, in empty CONTINUATION frames, gets GOAWAY ENHANCE_YOUR_CALM", async () => {
    const srv = server();
    const c = await client(srv.port);
    const frames = [frame(FrameType.HEADERS, 0, 1, c.block("GET", "/"))];
    for (let i = 0; i < 10_000; i++) frames.push(frame(FrameType.CONTINUATION, 0, 1));
    c.send(Buffer.concat(frames));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "CONTINUATION_FLOOD" });
    await c.waitClosed();
    expect(srv.counters.continuationFloods).toBe(1);
  });

  test("a header block growing past the header list limit is cut at the limit, not buffered", async () => {
    const srv = server();
    const c = await client(srv.port);
    const frames = [frame(FrameType.HEADERS, 0, 1, c.block("GET", "/"))];
    for (let i = 0; i < 20; i++) frames.push(frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(16_000, 0x41)));
    c.send(Buffer.concat(frames));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "HEADER_BLOCK_TOO_LARGE" });
    expect(srv.counters.continuationFloods).toBe(1);
  });

  test("a block split into many small CONTINUATION frames (within the limit) is fine", async () => {
    const srv = server();
    const c = await client(srv.port);
    const block = c.block("GET", "/status/202", [["x-a", "1".repeat(20)]]);
    const frames = [frame(FrameType.HEADERS, Flag.END_STREAM, 1, block.subarray(0, 1))];
    for (let i = 1; i < Math.min(block.length, 20); i++) {
      const last = i === Math.min(block.length, 20) - 1;
      frames.push(frame(FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, 1, last ? block.subarray(i) : block.subarray(i, i + 1)));
    }
    c.send(Buffer.concat(frames));
    await c.waitFor((f) => f.type === FrameType.DATA && f.sid === 1 && (f.flags & Flag.END_STREAM) !== 0);
    expect(c.count(FrameType.GOAWAY)).toBe(0);
  });
});

describe("HPACK bomb", () => {
  test("a small block expanding past max_header_list_size gets 431 and GOAWAY; streams open before finish", async () => {
    const srv = server();
    const c = await client(srv.port);
    // stream 1 is in flight, waiting for its body
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 1, c.block("POST", "/echo")));
    // stream 3: one 4,000-byte field put in the table (literal with incremental indexing, new
    // name, a 4,000-byte value), then referenced 400 times, one byte each (index 62)
    const bomb = Buffer.concat([
      c.block("GET", "/"),
      Buffer.from([0x40, 6]), Buffer.from("x-bomb"), Buffer.from([0x7f, 0xa1, 0x1e]), Buffer.alloc(4000, 0x62),
      Buffer.alloc(400, 0x80 | 62),
    ]);
    expect(bomb.length).toBeLessThan(4500); // 4.5 KB that decodes to 1.6 MB
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, bomb));
    const g = await c.goaway();
    expect(g).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, last: 3, debug: "HEADER_LIST_TOO_LARGE" });
    const h = await c.waitFor((f) => f.type === FrameType.HEADERS && f.sid === 3);
    expect(h.fields).toEqual([[":status", "431"]]);
    expect(h.flags & Flag.END_STREAM).toBe(Flag.END_STREAM);
    expect(srv.counters.headerListTooLarge).toBe(1);
    // stream 1 still completes, then the connection closes
    c.send(frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("still here")));
    const d = await c.waitFor((f) => f.type === FrameType.DATA && f.sid === 1);
    expect(d.payload.toString()).toBe("still here");
    await c.waitClosed();
  });
});

describe("control frame floods (CVE-2019-9512, 9515, 9518)", () => {
  test("a PING flood gets GOAWAY ENHANCE_YOUR_CALM after the burst budget, not a thousand ACKs more", async () => {
    const srv = server();
    const c = await client(srv.port);
    c.send(Buffer.concat(Array.from({ length: 5000 }, () => frame(FrameType.PING, 0, 0, Buffer.alloc(8)))));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "PING_FLOOD" });
    await c.waitClosed();
    expect(c.count(FrameType.PING, ACK)).toBeLessThanOrEqual(1000);
    expect(srv.counters.pingFloods).toBe(1);
  });

  test("a SETTINGS flood gets GOAWAY ENHANCE_YOUR_CALM", async () => {
    const srv = server();
    const c = await client(srv.port);
    c.send(Buffer.concat(Array.from({ length: 5000 }, () => settings([[SettingId.MAX_CONCURRENT_STREAMS, 100]]))));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "SETTINGS_FLOOD" });
    await c.waitClosed();
    expect(c.count(FrameType.SETTINGS, ACK)).toBeLessThanOrEqual(1002);
    expect(srv.counters.settingsFloods).toBe(1);
  });

  test("PRIORITY and empty DATA floods get GOAWAY ENHANCE_YOUR_CALM", async () => {
    const srv = server();
    const c = await client(srv.port);
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 1, c.block("POST", "/echo")));
    const flood = [];
    for (let i = 0; i < 3000; i++) flood.push(i % 2 ? frame(FrameType.DATA, 0, 1) : frame(FrameType.PRIORITY, 0, 3, Buffer.from([0, 0, 0, 0, 16])));
    c.send(Buffer.concat(flood));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "EMPTY_FRAME_FLOOD" });
    expect(srv.counters.emptyFrameFloods).toBe(1);
  });

  test("the budget refills with time: steady pings are fine", async () => {
    const srv = server({ h2: { controlFrameBurst: 20, controlFramesPerSecond: 200 }, tickMs: 20 });
    const c = await client(srv.port);
    for (let round = 0; round < 5; round++) {
      c.send(Buffer.concat(Array.from({ length: 15 }, () => frame(FrameType.PING, 0, 0, Buffer.alloc(8, round)))));
      await c.waitFor((f) => f.type === FrameType.PING && ACK(f) && f.payload[0] === round);
      await Bun.sleep(150);
    }
    expect(c.count(FrameType.PING, ACK)).toBe(75);
    expect(c.count(FrameType.GOAWAY)).toBe(0);
  });
});

describe("zero-window stall", () => {
  test("a client that never opens its window holds a bounded buffer, then gets GOAWAY", async () => {
    const srv = server({ h2: { stallTimeoutMs: 400 }, tickMs: 50 });
    const c = await client(srv.port, settings([[SettingId.INITIAL_WINDOW_SIZE, 0]]));
    await c.waitFor((f) => f.type === FrameType.SETTINGS && ACK(f));
    for (let i = 0; i < 40; i++) {
      c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 2 * i + 1, c.block("GET", "/big/50000000")));
    }
    await c.waitFor((f) => f.type === FrameType.HEADERS && f.sid === 79);
    const conn = [...srv.connections][0]!;
    // 40 responses of 50 MB each want out; the connection holds its buffer's worth, no more
    expect(conn.buffered).toBeGreaterThan(900_000);
    expect(conn.buffered).toBeLessThanOrEqual((1 << 20) + 40 * 16 * 1024);
    expect(c.count(FrameType.DATA)).toBe(0);
    const g = await c.goaway(3000);
    expect(g).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "STALLED" });
    await c.waitClosed();
    expect(srv.counters.stalls).toBe(1);
    expect(conn.buffered).toBe(0);
  });

  test("one stalled stream holds at most its own share", async () => {
    const srv = server();
    const c = await client(srv.port, settings([[SettingId.INITIAL_WINDOW_SIZE, 0]]));
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, c.block("GET", "/big/50000000")));
    await c.waitFor((f) => f.type === FrameType.HEADERS && f.sid === 1);
    await Bun.sleep(50);
    const conn = [...srv.connections][0]!;
    expect(conn.buffered).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
    expect(conn.buffered).toBeGreaterThan(0);
  });
});

describe("too many concurrent streams", () => {
  test("streams past max_concurrent_streams (100) get RST_STREAM REFUSED_STREAM; the others go on", async () => {
    const srv = server();
    const c = await client(srv.port);
    c.send(frame(FrameType.SETTINGS, Flag.ACK, 0));
    const open = [];
    for (let i = 0; i < 120; i++) open.push(frame(FrameType.HEADERS, Flag.END_HEADERS, 2 * i + 1, c.block("POST", "/echo")));
    c.send(Buffer.concat(open));
    await c.waitFor((f) => f.type === FrameType.RST_STREAM && f.sid === 239);
    const refused = c.frames.filter((f) => f.type === FrameType.RST_STREAM);
    expect(refused.map((f) => f.sid)).toEqual(Array.from({ length: 20 }, (_, i) => 201 + 2 * i));
    expect(refused.every((f) => c.rstCode(f) === ErrorCode.REFUSED_STREAM)).toBe(true);
    expect(srv.counters.refusedStreams).toBe(20);
    // the first hundred still work
    c.send(frame(FrameType.DATA, Flag.END_STREAM, 199, Buffer.from("ok")));
    const d = await c.waitFor((f) => f.type === FrameType.DATA && f.sid === 199);
    expect(d.payload.toString()).toBe("ok");
  });

  test("a client that keeps opening streams past the limit gets GOAWAY ENHANCE_YOUR_CALM", async () => {
    const srv = server();
    const c = await client(srv.port);
    const open = [];
    for (let i = 0; i < 400; i++) open.push(frame(FrameType.HEADERS, Flag.END_HEADERS, 2 * i + 1, c.block("POST", "/echo")));
    c.send(Buffer.concat(open));
    expect(await c.goaway()).toMatchObject({ code: ErrorCode.ENHANCE_YOUR_CALM, debug: "RESET_FLOOD" });
    expect(srv.counters.refusedStreams).toBeGreaterThanOrEqual(100);
    expect(srv.counters.resetFloods).toBe(1);
  });
});
