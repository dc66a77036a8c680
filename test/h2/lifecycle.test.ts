/** Connection lifecycle over a real socket: SETTINGS acknowledgement timeout and graceful shutdown. */
import { afterEach, expect, test } from "bun:test";
import { Flag } from "../../src/h2/index.ts";
import { startH2Server, type H2TestServer } from "./helpers/h2-server.ts";
import { ErrorCode, FrameType, RawH2, frame } from "./helpers/raw-client.ts";

const servers: H2TestServer[] = [];
const clients: RawH2[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.stop();
});

test("a peer that never acknowledges the server's SETTINGS gets GOAWAY SETTINGS_TIMEOUT", async () => {
  const srv = startH2Server({ h2: { settingsTimeoutMs: 300 }, tickMs: 50 });
  servers.push(srv);
  const c = await RawH2.connect(srv.port);
  clients.push(c);
  expect(await c.goaway(3000)).toMatchObject({ code: ErrorCode.SETTINGS_TIMEOUT, debug: "SETTINGS_TIMEOUT" });
  await c.waitClosed();
});

test("graceful shutdown: two GOAWAYs a PING apart, requests on the wire served, later ones not, open ones finish", async () => {
  const srv = startH2Server({ tickMs: 50 });
  servers.push(srv);
  const c = await RawH2.connect(srv.port);
  clients.push(c);
  c.send(frame(FrameType.SETTINGS, Flag.ACK, 0));
  c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 1, c.block("POST", "/echo")));
  await c.waitFor((f) => f.type === FrameType.HEADERS && f.sid === 1);
  srv.shutdown();
  const first = await c.goaway();
  expect(first).toMatchObject({ code: ErrorCode.NO_ERROR, last: 0x7fff_ffff });
  await c.waitFor((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) === 0);
  // sent before this client "saw" the GOAWAY: still served
  c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, c.block("GET", "/")));
  await c.waitFor((f) => f.type === FrameType.DATA && f.sid === 3);
  // the PING is never answered: the final GOAWAY comes after a second anyway
  const finalGoaway = await c.waitFor((f) => f.type === FrameType.GOAWAY && f.payload.readUInt32BE(0) !== 0x7fff_ffff, 3000);
  expect(finalGoaway.payload.readUInt32BE(0)).toBe(3);
  c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 5, c.block("GET", "/")));
  c.send(frame(FrameType.DATA, Flag.END_STREAM, 1, Buffer.from("last words")));
  const d = await c.waitFor((f) => f.type === FrameType.DATA && f.sid === 1 && f.payload.length > 0);
  expect(d.payload.toString()).toBe("last words");
  await c.waitClosed();
  expect(c.frames.some((f) => f.sid === 5)).toBe(false);
});
