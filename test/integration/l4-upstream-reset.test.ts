/**
 * A backend's reset reaches the client of a tcp listener as a reset (issue 11 item 7), through a
 * real node: a raw backend answers a little and then resets the connection (Bun's terminate(),
 * an abortive close), and the client, a node:net socket, sees ECONNRESET instead of a clean end.
 * A backend that ends cleanly still gives the client a clean end. Resets are counted in
 * fulcrum_listener_upstream_resets_total and the listener's /v1/status.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import { killAll } from "../helpers/process.ts";
import { metric, removeTempDirs, startNode, until, type L7Node } from "./helpers/l7-node.ts";

/** Answers "partial" then resets on "reset"; answers "done" then ends cleanly on "finish". */
const origin = Bun.listen({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    data(s, d) {
      const msg = d.toString();
      if (msg.includes("reset")) {
        s.write("partial");
        setTimeout(() => s.terminate(), 50);
      } else if (msg.includes("finish")) {
        s.write("done");
        s.end();
      }
    },
  },
});
let node: L7Node;
let port = 0;

beforeAll(async () => {
  node = await startNode({
    listeners: [{ name: "tcp-in", protocol: "tcp", address: "127.0.0.1:0", pool: "raw" }],
    pools: [{ name: "raw", backends: [{ address: `127.0.0.1:${origin.port}` }] }],
  });
  port = node.port("tcp-in");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  origin.stop(true);
});

/** Sends `msg` through the listener; how the connection ended (at most 4 s). */
function ending(msg: string): Promise<{ received: string; error: string | null; cleanEnd: boolean }> {
  return new Promise((resolve) => {
    let received = "";
    let error: string | null = null;
    let cleanEnd = false;
    const sock = net.connect({ host: "127.0.0.1", port }, () => sock.write(msg));
    const timer = setTimeout(() => sock.destroy(), 4000);
    sock.on("data", (d) => void (received += d.toString()));
    sock.on("end", () => void (cleanEnd = true));
    sock.on("error", (e: NodeJS.ErrnoException) => void (error = e.code ?? e.message));
    sock.on("close", () => {
      clearTimeout(timer);
      resolve({ received, error, cleanEnd });
    });
  });
}

const resets = async () => metric(await node.metrics(), 'fulcrum_listener_upstream_resets_total{listener="tcp-in"}');

test("a backend that resets gets the client reset too: ECONNRESET, not a clean end", async () => {
  const r = await ending("reset");
  expect(r.error).toBe("ECONNRESET");
  expect(r.cleanEnd).toBe(false);
  await until(async () => (await resets()) === 1);
});

test("a backend that ends cleanly still gives the client its bytes and a clean end, not counted", async () => {
  const r = await ending("finish");
  expect(r.received).toBe("done");
  expect(r.error).toBeNull();
  expect(r.cleanEnd).toBe(true);
  expect(await resets()).toBe(1);
});

test("resets are counted per listener in /v1/status", async () => {
  await ending("reset");
  await until(async () => (await resets()) === 2);
  const l = (await node.status()).listeners.find((x: { name: string }) => x.name === "tcp-in");
  expect(l.upstream_resets).toBe(2);
});
