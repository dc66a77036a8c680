/**
 * One HTTP/2 connection from a chosen loopback source address (node:http2, independent of
 * Fulcrum's codec): h2c by prior knowledge, or h2 over TLS (ALPN) with an optional client
 * certificate. For the access-list, per-client and mTLS cases over HTTP/2: the requests made on
 * the one connection, and the GOAWAY that ended it. Every wait is bounded.
 */
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";

export interface H2Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface H2From {
  /** One request on this connection; rejects on a stream error or after `ms`. */
  get(path: string, headers?: Record<string, string>, ms?: number): Promise<H2Answer>;
  /** The GOAWAY code the server sent (null: none yet). */
  readonly goaway: number | null;
  readonly closed: boolean;
  /** Resolves once the connection closed; rejects after `ms`. */
  waitClosed(ms?: number): Promise<void>;
  close(): void;
}

export interface H2TlsOptions {
  cert?: string;
  key?: string;
  /** The SNI name (default localhost). */
  servername?: string;
}

const open = new Set<http2.ClientHttp2Session>();

/** Ends every connection h2From made (afterAll). */
export function closeH2From(): void {
  for (const s of open) s.destroy();
  open.clear();
}

/** Connects from `from` to 127.0.0.1:`port` (h2c; with `tlsOpts`, h2 over TLS, the server unverified). */
export function h2From(from: string, port: number, tlsOpts?: H2TlsOptions): H2From {
  const host = "127.0.0.1";
  const createConnection = tlsOpts
    ? () => tls.connect({
      socket: net.connect({ host, port, localAddress: from }), servername: tlsOpts.servername ?? "localhost", ALPNProtocols: ["h2"], rejectUnauthorized: false,
      ...(tlsOpts.cert !== undefined && tlsOpts.key !== undefined ? { cert: tlsOpts.cert, key: tlsOpts.key } : {}),
    })
    : () => net.connect({ host, port, localAddress: from });
  const session = http2.connect(`${tlsOpts ? "https" : "http"}://${host}:${port}`, { createConnection });
  open.add(session);
  let goaway: number | null = null;
  let closed = false;
  session.on("goaway", (code) => void (goaway = code));
  session.on("close", () => {
    closed = true;
    open.delete(session);
  });
  session.on("error", () => void (closed = true));
  return {
    get(path, headers = {}, ms = 5000) {
      return new Promise<H2Answer>((resolve, reject) => {
        const st = session.request({ ":method": "GET", ":path": path, ...headers });
        const timer = setTimeout(() => {
          st.close(http2.constants.NGHTTP2_CANCEL);
          reject(new Error(`h2From ${path}: no response within ${ms} ms`));
        }, ms);
        let head: http2.IncomingHttpHeaders = {};
        const chunks: Buffer[] = [];
        st.on("response", (h) => void (head = h));
        st.on("data", (d: Buffer) => void chunks.push(d));
        st.on("end", () => {
          clearTimeout(timer);
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(head)) if (typeof v === "string") out[k] = v;
          resolve({ status: Number(head[":status"] ?? 0), headers: out, body: Buffer.concat(chunks).toString() });
        });
        st.on("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
    },
    get goaway() {
      return goaway;
    },
    get closed() {
      return closed;
    },
    async waitClosed(ms = 3000) {
      const end = Date.now() + ms;
      while (!closed) {
        if (Date.now() > end) throw new Error(`the HTTP/2 connection from ${from} was not closed within ${ms} ms`);
        await Bun.sleep(10);
      }
    },
    close: () => session.destroy(),
  };
}
