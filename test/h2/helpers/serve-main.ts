/**
 * A server as its own process (benchmarks, and the memory test, which must measure a process that
 * holds nothing but the connections): `bun test/h2/helpers/serve-main.ts [h2|h1|engine]` prints
 * "listening PORT", then "rss BYTES" each time a line arrives on stdin (after a forced GC). "h2" is
 * the codec's test server; "h1" and "engine" are Fulcrum's L7 listener (startProxy, answering 404
 * NO_ROUTE), spoken to over HTTP/1.1 and over h2c respectively.
 */
import { startProxy } from "../../../src/l7/index.ts";
import { LbError } from "../../../src/errors.ts";
import { startH2Server } from "./h2-server.ts";

const mode = process.argv[2] ?? "h2";
const port = mode === "h1" || mode === "engine"
  ? startProxy({ hooks: { selectUpstream: () => new LbError("NO_ROUTE", "none") } }).port
  : startH2Server().port;
console.log(`listening ${port}`);

const decoder = new TextDecoder();
for await (const chunk of Bun.stdin.stream()) {
  for (const line of decoder.decode(chunk).split("\n")) {
    if (line === "") continue;
    Bun.gc(true);
    Bun.gc(true);
    console.log(`rss ${process.memoryUsage().rss} heap ${process.memoryUsage().heapUsed}`);
  }
}
