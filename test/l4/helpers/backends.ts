/** Small loopback backends for relay tests; each returns its listener (stop it in afterAll). */
import type { Socket, TCPSocketListener } from "bun";

/** Echoes every byte back, honouring partial writes; `connections` counts accepted sockets. */
export function echoBackend(tag = ""): TCPSocketListener<{ carry: Uint8Array[] }> & { connections: number } {
  const state = { connections: 0 };
  const flush = (s: Socket<{ carry: Uint8Array[] }>): void => {
    while (s.data.carry.length > 0) {
      const c = s.data.carry[0]!;
      const n = Math.max(s.write(c), 0);
      if (n < c.length) {
        s.data.carry[0] = c.subarray(n);
        return;
      }
      s.data.carry.shift();
    }
  };
  const l = Bun.listen<{ carry: Uint8Array[] }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        state.connections++;
        s.data = { carry: [] };
        if (tag) s.data.carry.push(new TextEncoder().encode(tag));
        flush(s);
      },
      data(s, d) {
        s.data.carry.push(d);
        flush(s);
      },
      drain: flush,
    },
  });
  return Object.defineProperty(l, "connections", { get: () => state.connections }) as typeof l & { connections: number };
}

/** Reads until the client's FIN, then answers "got:<what it read>" and sends its own FIN. */
export function halfCloseBackend(): TCPSocketListener<{ got: string }> {
  return Bun.listen<{ got: string }>({
    hostname: "127.0.0.1",
    port: 0,
    allowHalfOpen: true,
    socket: {
      open: (s) => void (s.data = { got: "" }),
      data: (s, d) => void (s.data.got += d.toString()),
      end(s) {
        s.write(`got:${s.data.got}`);
        s.shutdown();
      },
    },
  });
}

/** Records every byte each connection sent (for checking what the relay forwarded). */
export function recordingBackend(): TCPSocketListener<{ bytes: number[] }> & { received: number[][] } {
  const received: number[][] = [];
  const l = Bun.listen<{ bytes: number[] }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { bytes: [] };
        received.push(s.data.bytes);
      },
      data: (s, d) => void s.data.bytes.push(...d),
    },
  });
  return Object.assign(l, { received });
}

/** A connected client that collects what it reads and notes when the relay closes it. */
export interface TestClient {
  socket: Socket<undefined>;
  text(): string;
  closed: Promise<void>;
  waitFor(substr: string, ms?: number): Promise<void>;
}

export async function connectClient(port: number, allowHalfOpen = false): Promise<TestClient> {
  let text = "";
  const { promise: closed, resolve } = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    allowHalfOpen,
    socket: { data: (_s, d) => void (text += d.toString("latin1")), close: () => resolve(), error: () => {} },
  });
  return {
    socket,
    text: () => text,
    closed,
    async waitFor(substr, ms = 3000) {
      const deadline = Date.now() + ms;
      while (!text.includes(substr) && Date.now() < deadline) await Bun.sleep(5);
      if (!text.includes(substr)) throw new Error(`timed out waiting for ${JSON.stringify(substr)}; got ${JSON.stringify(text)}`);
    },
  };
}
