/**
 * The codec's client side over a real socket (Bun.connect, plain or TLS with ALPN h2): what phase 2's
 * upstream pool will do, in a dozen lines, for the interop tests.
 */
import type { Socket } from "bun";
import { H2Connection, type H2Options, type H2SessionHandler } from "../../../src/h2/index.ts";
import { SocketWriter } from "../../../src/l7/writer.ts";

interface Conn {
  out: SocketWriter;
  h2: H2Connection;
}

export interface H2TestClient {
  h2: H2Connection;
  close(): void;
}

export async function connectH2(port: number, opts: { tls?: boolean; handler?: H2SessionHandler; h2?: Partial<H2Options> } = {}): Promise<H2TestClient> {
  let ready!: () => void;
  const opened = new Promise<void>((r) => (ready = r));
  const socket = await Bun.connect<Conn>({
    hostname: "127.0.0.1",
    port,
    ...(opts.tls ? { tls: { rejectUnauthorized: false, ALPNProtocols: Buffer.from("\x02h2", "latin1") } } : {}),
    socket: {
      open(s) {
        let h2: H2Connection | null = null;
        const out = new SocketWriter({ onWriterDrained: () => h2?.onWriterDrained() });
        out.attach(s as Socket<unknown>);
        h2 = new H2Connection("client", out, opts.handler, opts.h2);
        s.data = { out, h2 };
        if (!opts.tls) ready();
      },
      handshake: () => ready(),
      data: (s, d) => s.data.h2.feed(d as Buffer),
      drain: (s) => s.data.out.flush(),
      close: (s) => s.data?.h2.transportClosed(),
      error() {},
    },
  });
  await opened;
  return { h2: socket.data.h2, close: () => socket.end() };
}
