/**
 * Memory per idle connection (the budget: an idle HTTP/2 connection costs at most 16 KiB
 * more than an HTTP/1.1 one). Server processes that hold nothing else get N connections that made
 * one request and then sit idle; the RSS growth per connection is compared after a full GC:
 * Fulcrum's L7 listener spoken to over HTTP/1.1 (the baseline), the same listener over h2c (the
 * engine's H2Session, what production runs), and the codec's test server.
 */
import { afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Socket } from "bun";
import { PREFACE } from "../../src/h2/index.ts";
import { HpackEncoder } from "../../src/h2/hpack/index.ts";
import { frame, settings } from "./helpers/raw-client.ts";

const N = 1500;
const MAIN = join(import.meta.dir, "helpers", "serve-main.ts");
const procs: Bun.Subprocess<"pipe", "pipe", "inherit">[] = [];
const sockets: Socket<{ got: number }>[] = [];

afterAll(() => {
  for (const s of sockets) s.end();
  for (const p of procs) p.kill();
});

interface Server {
  port: number;
  rss(): Promise<number>;
}

async function spawnServer(mode: "h1" | "h2" | "engine"): Promise<Server> {
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
async function openIdle(port: number, n: number, hello: Buffer, expectBytes: number): Promise<void> {
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

function h2Hello(): Buffer {
  const enc = new HpackEncoder();
  enc.begin();
  for (const [k, v] of [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "localhost"], ["user-agent", "memory-test/1.0"], ["accept", "*/*"]]) enc.field(k!, v!);
  const block = Buffer.from(enc.buf.subarray(0, enc.finish()));
  return Buffer.concat([PREFACE, settings([]), frame(0x4, 1, 0), frame(0x1, 0x5, 1, block)]);
}

test(`an idle HTTP/2 connection costs at most 16 KiB more than an HTTP/1.1 one, in the engine and in the codec's server (${N} each)`, async () => {
  const h1 = await spawnServer("h1");
  const engine = await spawnServer("engine");
  const h2 = await spawnServer("h2");
  const before = [await h1.rss(), await engine.rss(), await h2.rss()];
  // HTTP/1.1: a request answered (404: no route), the connection kept alive
  await openIdle(h1.port, N, Buffer.from("GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: memory-test/1.0\r\n\r\n"), 100);
  // HTTP/2 to the engine: preface, SETTINGS both ways, the 404 reply (SETTINGS + WINDOW_UPDATE + ACK + HEADERS + DATA)
  await openIdle(engine.port, N, h2Hello(), 122);
  // HTTP/2 to the codec's server: the same, answered "hello, h2"
  await openIdle(h2.port, N, h2Hello(), 9 + 12 + 13 + 9 + 9 + 10 + 9 + 10);
  const perH1 = ((await h1.rss()) - before[0]!) / N;
  const perEngine = ((await engine.rss()) - before[1]!) / N;
  const perH2 = ((await h2.rss()) - before[2]!) / N;
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  console.log(`idle connection RSS (N=${N}): HTTP/1.1 ${kib(perH1)}; HTTP/2 engine ${kib(perEngine)} (+${kib(perEngine - perH1)}); codec server ${kib(perH2)} (+${kib(perH2 - perH1)})`);
  expect(perEngine - perH1).toBeLessThanOrEqual(16 * 1024);
  expect(perH2 - perH1).toBeLessThanOrEqual(16 * 1024);
}, 120_000);
