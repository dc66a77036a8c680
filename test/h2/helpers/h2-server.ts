/**
 * A small HTTP/2 server over Bun.listen for the tests: plain (h2c, prior knowledge) or TLS with ALPN
 * "h2", one H2Connection per socket, answering with echo-app.ts. Bytes leave through the L7
 * engine's own SocketWriter (the H2Output the engine will hand the codec), and one timer ticks
 * every connection (flood budgets, stalls, SETTINGS timeout), as the engine's sweep will.
 */
import type { Socket, TCPSocketListenOptions } from "bun";
import { H2Connection, H2Counters, type H2Options } from "../../../src/h2/index.ts";
import { EchoStream } from "./echo-app.ts";
import { SocketWriter } from "../../../src/l7/writer.ts";

export interface H2TestServer {
  port: number;
  counters: H2Counters;
  connections: Set<H2Connection>;
  /** Graceful: GOAWAY on every connection; they close once their streams are done. */
  shutdown(): void;
  stop(): void;
}

interface Conn {
  out: SocketWriter;
  h2: H2Connection | null;
}

export interface H2ServerOptions {
  tls?: { cert: string; key: string };
  h2?: Partial<H2Options>;
  tickMs?: number;
}

export function startH2Server(opts: H2ServerOptions = {}): H2TestServer {
  const counters = new H2Counters();
  const connections = new Set<H2Connection>();
  const begin = (s: Socket<Conn>): void => {
    const h2: H2Connection = new H2Connection("server", s.data.out, {
      onStream(stream, head, ended) {
        const app = new EchoStream(h2, stream, head);
        stream.handler = app;
        app.start(ended);
      },
      onClose: () => connections.delete(h2),
    }, { ...opts.h2, counters });
    s.data.h2 = h2;
    connections.add(h2);
  };
  const listener = Bun.listen<Conn>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        const conn: Conn = { out: new SocketWriter({ onWriterDrained: () => conn.h2?.onWriterDrained() }), h2: null };
        conn.out.attach(s as Socket<unknown>);
        s.data = conn;
        if (!opts.tls) begin(s);
      },
      handshake(s, ok) {
        if (ok && s.alpnProtocol === "h2") begin(s);
        else s.end();
      },
      data: (s, d) => s.data.h2?.feed(d as Buffer),
      drain: (s) => s.data.out.flush(),
      close: (s) => s.data?.h2?.transportClosed(),
      error(s) {
        s.end();
      },
    },
    ...(opts.tls ? { tls: { ...opts.tls, ALPNProtocols: Buffer.from("\x02h2\x08http/1.1", "latin1") } } : {}),
  } as TCPSocketListenOptions<Conn>);
  const timer = setInterval(() => {
    const now = Date.now();
    for (const c of connections) c.tick(now);
  }, opts.tickMs ?? 100);
  return {
    port: listener.port,
    counters,
    connections,
    shutdown: () => {
      for (const c of connections) c.shutdown();
    },
    stop() {
      clearInterval(timer);
      listener.stop(true);
    },
  };
}
