/**
 * Measuring what an idle connection costs a server process that holds nothing else (the memory
 * test and the h2 bench): servers from serve-main.ts, N connections that each made one request and
 * then sit idle, RSS read after a full GC. Every process and socket started here is ended by
 * `stopAll` (the test's afterAll; `idleCostPerConnection` cleans up after itself).
 */
import { join } from "node:path";
import type { Socket } from "bun";
import { PREFACE } from "../../../src/h2/index.ts";
import { HpackEncoder } from "../../../src/h2/hpack/index.ts";
import { frame, settings } from "./raw-client.ts";

const MAIN = join(import.meta.dir, "serve-main.ts");
const procs: Bun.Subprocess<"pipe", "pipe", "inherit">[] = [];
const sockets: Socket<{ got: number }>[] = [];

/** Ends every socket and server process started here. */
export function stopAll(): void {
  for (const s of sockets.splice(0)) s.end();
  for (const p of procs.splice(0)) p.kill();
}

export interface Server {
  port: number;
  rss(): Promise<number>;
}

export async function spawnServer(mode: "h1" | "h2" | "engine"): Promise<Server> {
  const p = Bun.spawn([process.execPath, MAIN, mode], { stdin: "pipe", stdout: "pipe", stderr: "inherit", env: { ...process.env, FULCRUM_WASM: "release" } });
  procs.push(p);
  const reader = p.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const line = async (re: RegExp): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const m = re.exec(text);
      if (m) {
        text = text.slice(m.index! + m[0].length);
        return m;
      }
      if (Date.now() > deadline) throw new Error(`server said nothing matching ${re}: ${text}`);
      const { value, done } = await reader.read();
      if (done) throw new Error("server exited");
      text += decoder.decode(value);
    }
  };
  const port = Number((await line(/listening (\d+)\n/))[1]);
  return {
    port,
    async rss() {
      p.stdin.write("rss\n");
      p.stdin.flush();
      return Number((await line(/rss (\d+)/))[1]);
    },
  };
}

/** Opens `n` connections that each send `hello` and wait for `expect` response bytes. */
export async function openIdle(port: number, n: number, hello: Buffer, expectBytes: number): Promise<void> {
  let done = 0;
  for (let i = 0; i < n; i++) {
    const s = await Bun.connect<{ got: number }>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(sock) {
          sock.data = { got: 0 };
        },
        data(sock, d) {
          const before = sock.data.got;
          sock.data.got += d.length;
          if (before < expectBytes && sock.data.got >= expectBytes) done++;
        },
        error() {},
      },
    });
    s.write(hello);
    sockets.push(s);
  }
  const deadline = Date.now() + 20_000;
  while (done < n) {
    if (Date.now() > deadline) throw new Error(`only ${done}/${n} connections were answered`);
    await Bun.sleep(20);
  }
}

export function h2Hello(): Buffer {
  const enc = new HpackEncoder();
  enc.begin();
  for (const [k, v] of [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "localhost"], ["user-agent", "memory-test/1.0"], ["accept", "*/*"]]) enc.field(k!, v!);
  const block = Buffer.from(enc.buf.subarray(0, enc.finish()));
  return Buffer.concat([PREFACE, settings([]), frame(0x4, 1, 0), frame(0x1, 0x5, 1, block)]);
}

/** The HTTP/1.1 request of an idle HTTP/1.1 connection. */
export const H1_HELLO = Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: memory-test/1.0\r\n\r\n");
/** Response bytes: the listener's 404 over HTTP/1.1, over h2c (SETTINGS, WINDOW_UPDATE, ACK, HEADERS, DATA), the codec server's answer. */
export const H1_REPLY_BYTES = 100;
export const ENGINE_H2_REPLY_BYTES = 122;
export const CODEC_H2_REPLY_BYTES = 9 + 12 + 13 + 9 + 9 + 10 + 9 + 10;

/** KiB of RSS per idle connection of Fulcrum's listener, over HTTP/1.1 and over h2c, with `n` each. */
export async function idleCostPerConnection(n: number): Promise<{ h1: number; engine: number }> {
  try {
    const h1 = await spawnServer("h1");
    const engine = await spawnServer("engine");
    const before = [await h1.rss(), await engine.rss()];
    await openIdle(h1.port, n, H1_HELLO, H1_REPLY_BYTES);
    await openIdle(engine.port, n, h2Hello(), ENGINE_H2_REPLY_BYTES);
    return { h1: ((await h1.rss()) - before[0]!) / n / 1024, engine: ((await engine.rss()) - before[1]!) / n / 1024 };
  } finally {
    stopAll();
  }
}
