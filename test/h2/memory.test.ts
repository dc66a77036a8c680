/**
 * Memory per idle connection (the budget: an idle HTTP/2 connection costs at most 16 KiB
 * more than an HTTP/1.1 one). Server processes that hold nothing else get N connections that made
 * one request and then sit idle; the RSS growth per connection is compared after a full GC:
 * Fulcrum's L7 listener spoken to over HTTP/1.1 (the baseline), the same listener over h2c (the
 * engine's H2Session, what production runs), and the codec's test server.
 */
import { afterAll, expect, test } from "bun:test";
import { CODEC_H2_REPLY_BYTES, ENGINE_H2_REPLY_BYTES, H1_HELLO, H1_REPLY_BYTES, h2Hello, openIdle, spawnServer, stopAll } from "./helpers/idle-memory.ts";

const N = 1500;

afterAll(stopAll);

test(`an idle HTTP/2 connection costs at most 16 KiB more than an HTTP/1.1 one, in the engine and in the codec's server (${N} each)`, async () => {
  const h1 = await spawnServer("h1");
  const engine = await spawnServer("engine");
  const h2 = await spawnServer("h2");
  const before = [await h1.rss(), await engine.rss(), await h2.rss()];
  // HTTP/1.1: a request answered (404: no route), the connection kept alive
  await openIdle(h1.port, N, H1_HELLO, H1_REPLY_BYTES);
  // HTTP/2 to the engine: preface, SETTINGS both ways, the 404 reply (SETTINGS + WINDOW_UPDATE + ACK + HEADERS + DATA)
  await openIdle(engine.port, N, h2Hello(), ENGINE_H2_REPLY_BYTES);
  // HTTP/2 to the codec's server: the same, answered "hello, h2"
  await openIdle(h2.port, N, h2Hello(), CODEC_H2_REPLY_BYTES);
  const perH1 = ((await h1.rss()) - before[0]!) / N;
  const perEngine = ((await engine.rss()) - before[1]!) / N;
  const perH2 = ((await h2.rss()) - before[2]!) / N;
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  console.log(`idle connection RSS (N=${N}): HTTP/1.1 ${kib(perH1)}; HTTP/2 engine ${kib(perEngine)} (+${kib(perEngine - perH1)}); codec server ${kib(perH2)} (+${kib(perH2 - perH1)})`);
  expect(perEngine - perH1).toBeLessThanOrEqual(16 * 1024);
  expect(perH2 - perH1).toBeLessThanOrEqual(16 * 1024);
}, 120_000);
