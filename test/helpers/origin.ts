/**
 * A real origin for proxy tests: Bun.serve (an HTTP implementation independent of Fulcrum's codec)
 * behind a byte-counting TCP front on Bun.listen, so a test can assert how many connections the
 * backend accepted and that it received no bytes at all (smuggling cases).
 */
import type { Serve, Server, Socket, TCPSocketListener } from "bun";

export interface Origin {
  /** Where the proxy should send requests ("127.0.0.1:PORT", the counting front). */
  readonly address: string;
  readonly port: number;
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Bytes received from all connections. */
  readonly bytes: number;
  /** The first MiB received, for inspection. */
  raw(): string;
  stop(): void;
}

interface Pipe {
  /** Where this direction's bytes go. */
  peer: Socket<Pipe> | null;
  queue: Uint8Array[];
  /** The opposite direction. */
  other: Pipe | null;
  /** Where this direction's bytes come from (paused while `queue` is not empty). */
  self: Socket<Pipe> | null;
}

/** Writes toward `p.peer`; what it cannot take is queued and the source (`p.self`) paused. */
function send(p: Pipe, data: Uint8Array): void {
  if (p.peer !== null && p.queue.length === 0) {
    const n = p.peer.write(data);
    if (n >= data.length) return;
    data = data.subarray(Math.max(0, n));
  }
  p.queue.push(data);
  p.self?.pause();
}

function flush(p: Pipe): void {
  while (p.peer !== null && p.queue.length > 0) {
    const d = p.queue[0]!;
    const n = p.peer.write(d);
    if (n < d.length) {
      p.queue[0] = d.subarray(Math.max(0, n));
      return;
    }
    p.queue.shift();
  }
  if (p.queue.length === 0) p.self?.resume();
}

/** Starts Bun.serve with `options` (port and hostname are set here) and a counting front. */
export function startOrigin(options: Omit<Serve.Options<unknown>, "port" | "hostname">): Origin {
  const server: Server<unknown> = Bun.serve({ ...options, port: 0, hostname: "127.0.0.1" } as Serve.Options<unknown>);
  let connections = 0, bytes = 0;
  const captured: Buffer[] = [];
  let capturedLen = 0;
  const front: TCPSocketListener<Pipe> = Bun.listen<Pipe>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        connections++;
        const down: Pipe = { peer: null, queue: [], other: null, self: s };
        s.data = down;
        Bun.connect<Pipe>({
          hostname: "127.0.0.1", port: server.port!,
          data: { peer: s, queue: [], other: down, self: null },
          socket: {
            open(u) { down.peer = u; u.data.self = u; down.other = u.data; flush(down); },
            data(u, d) { send(u.data, d); },
            drain(u) { flush(u.data.other!); },
            close() { s.end(); },
            error() { s.end(); },
          },
        }).catch(() => s.end());
      },
      data(s, d) {
        bytes += d.length;
        if (capturedLen < 1 << 20) {
          captured.push(Buffer.from(d));
          capturedLen += d.length;
        }
        send(s.data, d);
      },
      drain(s) { if (s.data.other) flush(s.data.other); },
      close(s) { s.data.peer?.end(); },
      error(s) { s.data.peer?.end(); },
    },
  });
  return {
    address: `127.0.0.1:${front.port}`,
    port: front.port,
    get connections() { return connections; },
    get bytes() { return bytes; },
    raw: () => Buffer.concat(captured).toString("latin1"),
    stop() {
      front.stop(true);
      server.stop(true);
    },
  };
}

/** A raw client on loopback: sends `data`, returns everything received until close or `ms`. */
export async function rawExchange(port: number, data: string | Uint8Array, ms = 3000): Promise<{ text: string; closed: boolean }> {
  const got: Buffer[] = [];
  let closed = false;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sock = await Bun.connect({
    hostname: "127.0.0.1", port,
    socket: { data: (_s, d) => void got.push(Buffer.from(d)), close: () => { closed = true; done(); }, error: () => done() },
  });
  sock.write(data);
  const timer = setTimeout(done, ms);
  await finished;
  clearTimeout(timer);
  const byPeer = closed;
  if (!byPeer) sock.end();
  return { text: Buffer.concat(got).toString("latin1"), closed: byPeer };
}
