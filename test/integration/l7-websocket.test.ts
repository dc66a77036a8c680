/** A WebSocket through a real node: after the backend's 101 the connection is a byte tunnel. */
import { afterAll, expect, test } from "bun:test";
import { killAll } from "../helpers/process.ts";
import { removeTempDirs, startNode } from "./helpers/l7-node.ts";

const echo = Bun.serve<{ xff: string | null }>({
  hostname: "127.0.0.1",
  port: 0,
  fetch(req, server) {
    if (server.upgrade(req, { data: { xff: req.headers.get("x-forwarded-for") } })) return undefined;
    return new Response("websocket only", { status: 426 });
  },
  websocket: {
    open(ws) {
      ws.send(`hello ${ws.data.xff}`);
    },
    message(ws, msg) {
      ws.send(typeof msg === "string" ? `echo:${msg}` : msg);
    },
  },
});

afterAll(async () => {
  await killAll();
  echo.stop(true);
  removeTempDirs();
});

test("text and binary frames go both ways through the proxy, and the backend saw X-Forwarded-For", async () => {
  const n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "ws" }],
    pools: [{ name: "ws", backends: [{ address: `127.0.0.1:${echo.port}` }] }],
  });
  const ws = new WebSocket(`ws://127.0.0.1:${n.port("web")}/chat`);
  ws.binaryType = "arraybuffer";
  const got: (string | number)[] = [];
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only got ${JSON.stringify(got)}`)), 5000);
    ws.onmessage = (e) => {
      got.push(typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer).length);
      if (got.length === 1) {
        ws.send("ping");
        ws.send(new Uint8Array(70_000));
      }
      if (got.length === 3) {
        clearTimeout(timer);
        resolve();
      }
    };
    ws.onerror = () => reject(new Error("websocket error"));
  });
  await done;
  ws.close();
  expect(got).toEqual(["hello 127.0.0.1", "echo:ping", 70_000]);
});
