import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import { type RelayProcess, startRelayProcess } from "./helpers/relay-process.ts";
import { StreamEnd, streamHandlers } from "./helpers/stream.ts";

const MB = 1024 * 1024;

/** A backend that streams `toSend` random bytes to each client while hashing what it receives. */
function streamBackend(toSend: number) {
  const ends: StreamEnd[] = [];
  const listener = Bun.listen<StreamEnd>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: streamHandlers(toSend, (e) => ends.push(e)),
  });
  return { listener, ends };
}

async function connectStream(port: number, toSend: number): Promise<StreamEnd> {
  const s = await Bun.connect<StreamEnd>({ hostname: "127.0.0.1", port, allowHalfOpen: true, socket: streamHandlers(toSend) });
  return s.data;
}

let relay: RelayProcess;
let backend: ReturnType<typeof streamBackend>;

beforeAll(async () => {
  backend = streamBackend(100 * MB);
  relay = await startRelayProcess([{ host: "127.0.0.1", port: backend.listener.port }]);
});

afterAll(async () => {
  await relay?.stop();
  backend?.listener.stop(true);
});

test("relays 100 MB each way with matching sha256", async () => {
  const client = await connectStream(relay.port, 100 * MB);
  await client.received;
  const server = backend.ends.at(-1)!;
  await server.received;
  expect(client.rxBytes).toBe(100 * MB);
  expect(server.rxBytes).toBe(100 * MB);
  expect(server.rxHash.digest("hex")).toBe(client.txHash.digest("hex"));
  expect(client.rxHash.digest("hex")).toBe(server.txHash.digest("hex"));
}, 60_000);

test("keeps its memory bounded while the client stops reading 100 MB", async () => {
  const before = relay.rss();
  let client!: StreamEnd;
  const s = await Bun.connect<StreamEnd>({
    hostname: "127.0.0.1",
    port: relay.port,
    allowHalfOpen: true,
    socket: streamHandlers(1, (e) => {
      client = e;
      e.pauseReading();
    }),
  });
  expect(s.data).toBe(client);
  // While the client reads nothing the backend keeps offering 100 MB; the relay must push back.
  let peak = 0;
  for (let i = 0; i < 15; i++) {
    await Bun.sleep(100);
    peak = Math.max(peak, relay.rss());
  }
  const server = backend.ends.at(-1)!;
  const writtenWhilePaused = server.txBytes;
  expect(writtenWhilePaused).toBeLessThan(40 * MB);
  expect(peak - before).toBeLessThan(48 * MB);
  client.resumeReading();
  await client.received;
  expect(client.rxBytes).toBe(100 * MB);
  expect(client.rxHash.digest("hex")).toBe(server.txHash.digest("hex"));
  console.log(`relay RSS ${(before / MB).toFixed(1)} MB before, peak ${(peak / MB).toFixed(1)} MB while paused; backend could write ${(writtenWhilePaused / MB).toFixed(1)} MB of 100 while paused`);
}, 60_000);
