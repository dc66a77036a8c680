/**
 * A TCP client for node-level L4 tests: connects through a listener (optionally from a given
 * loopback source address), sends a message and reads the echo backend's reply, which starts with
 * the backend's tag. Bounded in time; the socket can be kept open to hold load on a backend.
 */
import net from "node:net";

/** One relayed connection after its first reply. */
export interface Tagged {
  /** The backend tag: the reply up to and including the first "|". */
  tag: string;
  socket: net.Socket;
  /** Sends `msg` and resolves with everything read until the reply ends with it. */
  roundTrip(msg: string, timeoutMs?: number): Promise<string>;
  /** Resolves when the relay closes this connection. */
  closed: Promise<void>;
}

/** Connects to 127.0.0.1:port (from `localAddress` when given), sends `msg`, resolves once its echo is back. */
export function tagged(port: number, msg: string, opts: { localAddress?: string; keepOpen?: boolean; timeoutMs?: number } = {}): Promise<Tagged> {
  const socket = net.connect({ host: "127.0.0.1", port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
  let buf = "";
  let wake: () => void = () => {};
  socket.on("data", (d) => {
    buf += d.toString();
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => (wake(), resolve())));
  socket.on("error", () => {}); // a refused or reset connection shows up as "close"
  const roundTrip = async (m: string, timeoutMs = 5000): Promise<string> => {
    const start = buf.length;
    socket.write(m);
    const deadline = Date.now() + timeoutMs;
    while (!buf.endsWith(m)) {
      if (socket.destroyed || Date.now() > deadline) throw new Error(`no echo of ${JSON.stringify(m)} (got ${JSON.stringify(buf)})`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 20);
      });
    }
    return buf.slice(start);
  };
  return (async () => {
    const first = await roundTrip(msg, opts.timeoutMs);
    const tag = first.slice(0, first.indexOf("|") + 1);
    if (!opts.keepOpen) socket.end();
    return { tag, socket, roundTrip, closed };
  })().catch((e) => {
    socket.destroy();
    throw e;
  });
}

/** Counts the tags of `n` sequential connections made by `connect(i)`. */
export async function tally(n: number, connect: (i: number) => Promise<Tagged>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const { tag } = await connect(i);
    counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return counts;
}

/** Resolves true when a TCP connection to 127.0.0.1:port is accepted, false when refused (≤ 1 s). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    const timer = setTimeout(() => (s.destroy(), resolve(false)), 1000);
    s.on("connect", () => (clearTimeout(timer), s.destroy(), resolve(true)));
    s.on("error", () => (clearTimeout(timer), resolve(false)));
  });
}
