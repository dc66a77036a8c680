/**
 * A child process holding N cheap TCP "backends" for health-check load: each accepted connection
 * gets "UP\n" (passes a tcp check expecting "UP") or, while the flock is down, "DN\n" and a close
 * (fails it). Run as `bun flock.ts N`; prints one JSON line {"ports":[...]} once listening, then
 * reads "up" / "down" lines on stdin to switch every backend at once, and exits on "quit" or EOF.
 */
import type { TCPSocketListener } from "bun";

const n = Number(process.argv[2] ?? 1000);
let up = true;
const listeners: TCPSocketListener<undefined>[] = [];
for (let i = 0; i < n; i++) {
  listeners.push(
    Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(s) {
          s.write(up ? "UP\n" : "DN\n");
          // A passing check closes its side; a failing one sees us close first.
          if (!up) s.end();
        },
        data() {},
        error() {},
      },
    }),
  );
}
console.log(JSON.stringify({ ports: listeners.map((l) => l.port) }));

const quit = () => {
  for (const l of listeners) l.stop(true);
  process.exit(0);
};
let buffered = "";
for await (const chunk of Bun.stdin.stream()) {
  buffered += new TextDecoder().decode(chunk);
  let nl: number;
  while ((nl = buffered.indexOf("\n")) >= 0) {
    const line = buffered.slice(0, nl).trim();
    buffered = buffered.slice(nl + 1);
    if (line === "up") up = true;
    else if (line === "down") up = false;
    else if (line === "quit") quit();
  }
}
quit();
