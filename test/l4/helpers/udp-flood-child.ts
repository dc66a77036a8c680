/**
 * A flood of "new" UDP clients for the flood benchmark, in its own process: argv[2] is JSON
 * { port, sockets, rate }. Binds `sockets` client sockets, prints "ready", and on a "go" line on
 * stdin sends `rate` datagrams a second to 127.0.0.1:port, round robin over the sockets (against
 * a flow table full of live flows each of them stays a new client). Runs until killed.
 */
import dgram from "node:dgram";

const cfg = JSON.parse(process.argv[2] ?? "{}") as { port: number; sockets: number; rate: number };
const payload = Buffer.alloc(64, 2);
const socks = await Promise.all(Array.from({ length: cfg.sockets }, async () => {
  const s = dgram.createSocket("udp4");
  s.on("error", () => {}); // ICMP unreachable when the relay goes away: the flood just goes on
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  return s;
}));
console.log("ready");
for await (const line of console) {
  if (line.trim() !== "go") continue;
  const perTick = Math.max(1, Math.round(cfg.rate / 100));
  let next = 0;
  setInterval(() => {
    for (let i = 0; i < perTick; i++) socks[next++ % socks.length]!.send(payload, cfg.port, "127.0.0.1");
  }, 10);
  break;
}
