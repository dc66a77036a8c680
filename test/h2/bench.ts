/**
 * HTTP/2 codec figures (run through `bun run bench -- h2-codec`, or `bun test/h2/bench.ts`):
 * Huffman decoding (the WASM kernel against its TypeScript oracle), HPACK per header block, one
 * request round trip through the codec in memory, and the test server under
 * `h2load -c 64 -m 10` in its own process. Medians on shared cores: for gross regressions only.
 */
import { join } from "node:path";
import { huffmanDecodeInto } from "../../src/wasm/index.ts";
import { H2Connection, type H2Stream } from "../../src/h2/index.ts";
import { HpackDecoder, HpackEncoder, huffmanEncodeInto, huffmanEncodedLength } from "../../src/h2/hpack/index.ts";
import { nsPerOp, type Report } from "../bench/harness.ts";
import { oracleHuffmanDecode } from "../oracles/huffman.ts";
import { pair } from "./helpers/pipe.ts";
import { run as runCmd } from "./helpers/run.ts";

const VALUES = ["www.example.com", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "gzip, deflate, br",
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36", "/index.html?q=1", "en-US,en;q=0.5"];

function huffman(report: Report): void {
  const enc = VALUES.map((v) => {
    const b = Buffer.alloc(huffmanEncodedLength(v));
    huffmanEncodeInto(v, b, 0);
    return b;
  });
  const out = Buffer.alloc(512);
  const bytes = VALUES.reduce((n, v) => n + v.length, 0) / VALUES.length;
  const wasm = nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      const b = enc[i % enc.length]!;
      huffmanDecodeInto(b, 0, b.length, out, 0);
    }
  }, 200_000);
  const oracle = nsPerOp((n) => {
    for (let i = 0; i < n; i++) oracleHuffmanDecode(enc[i % enc.length]!);
  }, 20_000, 3);
  report({ name: `Huffman decode, ${bytes.toFixed(0)}-byte values (WASM)`, value: wasm, unit: "ns/string", oracle });
  const encode = nsPerOp((n) => {
    for (let i = 0; i < n; i++) huffmanEncodeInto(VALUES[i % VALUES.length]!, out, 0);
  }, 200_000);
  report({ name: "Huffman encode, same values (TypeScript)", value: encode, unit: "ns/string" });
}

function hpack(report: Report): void {
  const fields: [string, string][] = [[":method", "GET"], [":scheme", "https"], [":authority", "www.example.com"], [":path", "/index.html?q=1"],
    ["user-agent", VALUES[3]!], ["accept", VALUES[1]!], ["accept-encoding", VALUES[2]!], ["accept-language", VALUES[5]!], ["cookie", "session=0123456789abcdef0123456789"]];
  const e = new HpackEncoder(), d = new HpackDecoder(4096, 65536);
  const encodeNs = nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      e.begin();
      for (const [k, v] of fields) e.field(k, v);
      e.finish();
    }
  }, 100_000);
  const first = new HpackEncoder();
  first.begin();
  for (const [k, v] of fields) first.field(k, v);
  const block = Buffer.from(first.buf.subarray(0, first.finish()));
  const fresh = () => new HpackDecoder(4096, 65536);
  let dec = fresh();
  const decodeNs = nsPerOp((n) => {
    for (let i = 0; i < n; i++) {
      if (dec.table.count > 60) dec = fresh();
      dec.decode(block, 0, block.length);
    }
  }, 50_000);
  void d;
  report({ name: "HPACK encode, 9-field browser request (table warm)", value: encodeNs, unit: "ns/block" });
  report({ name: "HPACK decode, same request as first sent (literals)", value: decodeNs, unit: "ns/block" });
}

function roundTrip(report: Report): void {
  const HELLO = Buffer.from("hello, h2\n");
  let srv!: H2Connection;
  const p = pair({
    onStream(s: H2Stream) {
      srv.respond(s, 200, ["content-type", "text/plain", "content-length", "10"], false);
      srv.sendData(s, HELLO, 0, 10, true);
    },
  }, {}, { server: { maxConcurrentStreams: 1000 } });
  srv = p.server;
  p.pump();
  const req = { method: "GET", scheme: "http", authority: "127.0.0.1:8080", path: "/", fields: ["user-agent", "h2load nghttp2/1.52.0"] };
  const h = { onHeaders() {}, onData() {}, onTrailers() {}, onReset() {}, onWritable() {} };
  const ns = nsPerOp((n) => {
    for (let i = 0; i < n; i += 10) {
      for (let j = 0; j < 10; j++) p.client.request(h, req, true);
      p.pump();
    }
  }, 20_000);
  report({ name: "request round trip in memory (client + server codec)", value: ns / 1000, unit: "µs/request" });
}

async function underLoad(report: Report): Promise<void> {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "helpers", "serve-main.ts"), "h2"], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
  try {
    const reader = proc.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const port = Number(/listening (\d+)/.exec(first)?.[1]);
    await runCmd(["h2load", "-c", "64", "-m", "10", "-n", "20000", `http://127.0.0.1:${port}/`], 60_000); // warm the JIT
    const r = await runCmd(["h2load", "-c", "64", "-m", "10", "-n", "200000", `http://127.0.0.1:${port}/`], 120_000);
    const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(r.stdout)?.[1]);
    const mean = /time for request:\s+\S+\s+\S+\s+(\S+)/.exec(r.stdout)?.[1] ?? "?";
    report({ name: `test server, h2load -c 64 -m 10 (mean ${mean})`, value: rps, unit: "req/s" });
  } finally {
    proc.kill();
  }
}

export async function run(report: Report): Promise<void> {
  huffman(report);
  hpack(report);
  roundTrip(report);
  await underLoad(report);
}

if (import.meta.main) {
  const { run: _r } = { run };
  await _r((f) => console.log(`${f.name.padEnd(60)} ${f.value.toPrecision(4).padStart(10)} ${f.unit}${f.oracle ? `  (ts oracle ${f.oracle.toPrecision(4)})` : ""}`));
}
