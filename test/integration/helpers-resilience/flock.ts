/**
 * A child process holding N cheap "backends" for health-check load. Run as `bun flock.ts N [MODE]`:
 * - MODE `tcp` (the default): each accepted connection gets "UP\n" (passes a tcp check expecting
 *   "UP") or, while the flock is down, "DN\n" and a close (fails it);
 * - MODE `http`: each request gets a keep-alive `200` ("UP\n") or, while down, a `503` and a close;
 *   a request saying `Connection: close` gets its answer and a close, as any HTTP/1.1 server does.
 * Prints one JSON line {"ports":[...]} once listening, then reads "up" / "down" lines on stdin to
 * switch every backend at once, and exits on "quit" or EOF.
 */
import type { Socket, TCPSocketListener } from "bun";

const n = Number(process.argv[2] ?? 1000);
const http = process.argv[3] === "http";
let up = true;

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nUP\n";
const DOWN = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 3\r\nConnection: close\r\n\r\nDN\n";

/** Answers every complete request head in the bytes so far; the rest waits for the next packet. */
function answer(s: Socket<{ buf: string }>, chunk: Buffer): void {
  s.data.buf += chunk.toString("latin1");
  let end: number;
  while ((end = s.data.buf.indexOf("\r\n\r\n")) >= 0) {
    const head = s.data.buf.slice(0, end).toLowerCase();
    s.data.buf = s.data.buf.slice(end + 4);
    if (!up) {
      s.write(DOWN);
      s.end();
      return;
    }
    s.write(OK);
    if (/\r\nconnection:[ \t]*close/.test(head)) {
      s.end();
      return;
    }
  }
  // Health probes carry no body; anything this long without a head end is not one.
  if (s.data.buf.length > 16384) s.end();
}

const listeners: TCPSocketListener<{ buf: string }>[] = [];
for (let i = 0; i < n; i++) {
  listeners.push(
    Bun.listen<{ buf: string }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: http
        ? {
            open(s) {
              s.data = { buf: "" };
            },
            data: answer,
            error() {},
          }
        : {
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
