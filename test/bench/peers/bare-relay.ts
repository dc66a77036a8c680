/**
 * The ceiling reference of the side-by-side bench: the least a proxy on Bun sockets can do, as in
 * BUN-NOTES' "60-line Bun.listen/Bun.connect relay". Each client connection gets one backend
 * connection (round robin) and bytes are copied both ways with backpressure; nothing is parsed,
 * counted or checked. Fulcrum's HTTP engine does strictly more per request than this, on the same
 * sockets, so what this reaches against nginx in the same run bounds what Fulcrum can reach.
 * Run as `bun bare-relay.ts PORT BACKEND_PORT...`; prints "ready" once listening. It listens with
 * reusePort, so N copies on one port are the bare relay's "N workers" (the scaling bench's ceiling
 * for what a second worker can add on Bun sockets).
 */
import type { Socket } from "bun";

interface Side {
  peer: Socket<Side> | null;
  /** Bytes waiting to be written to this socket (it was full); on the client's side, until the
   * backend connects, the client's first bytes waiting for it. */
  queue: Uint8Array[];
}

const [port, ...backends] = process.argv.slice(2).map(Number);
let next = 0;

function send(to: Socket<Side>, from: Socket<Side>, d: Uint8Array): void {
  const n = to.write(d);
  if (n < d.length) {
    to.data.queue.push(d.subarray(Math.max(0, n)));
    from.pause();
  }
}

function flush(s: Socket<Side>): void {
  const q = s.data.queue;
  while (q.length > 0) {
    const d = q[0]!;
    const n = s.write(d);
    if (n < d.length) {
      q[0] = d.subarray(Math.max(0, n));
      return;
    }
    q.shift();
  }
  s.data.peer?.resume();
}

const relay = {
  data(s: Socket<Side>, d: Uint8Array) {
    const peer = s.data.peer;
    if (peer === null || peer.data.peer === null) s.data.queue.push(d); // backend still connecting
    else send(peer, s, d);
  },
  drain: flush,
  close(s: Socket<Side>) {
    s.data.peer?.end();
  },
  error() {},
};

// reusePort works on Bun.listen but is missing from its types (BUN-NOTES "Sockets").
Bun.listen<Side>({
  hostname: "127.0.0.1",
  port: port!,
  ...({ reusePort: true } as object),
  socket: {
    ...relay,
    open(client) {
      client.data = { peer: null, queue: [] };
      const target = backends[next++ % backends.length]!;
      Bun.connect<Side>({
        hostname: "127.0.0.1",
        port: target,
        data: { peer: client, queue: [] },
        socket: {
          ...relay,
          open(up) {
            client.data.peer = up;
            for (const d of client.data.queue) send(up, client, d);
            client.data.queue = [];
          },
          connectError() {
            client.end();
          },
        },
      }).catch(() => client.end());
    },
  },
});
console.log("ready");
