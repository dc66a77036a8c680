/**
 * A raw HTTP/1.1 backend (Bun.listen, no HTTP library) that answers each request with exactly the
 * bytes a test chooses, so response-side cases can send what no HTTP library would: duplicate or
 * padded Content-Length, framing on a 204, fields in a 1xx, malformed heads. It records which
 * connection carried each request and when each connection closed, so a test can tell whether the
 * proxy reused a backend connection or dropped it.
 */
import type { Socket, TCPSocketListener } from "bun";

/** What the backend writes for one request: `parts` in order, `gapMs` apart, then maybe a close. */
export interface Script {
  parts: string[];
  /** Close the connection after the last part. */
  close?: boolean;
  gapMs?: number;
  /** After writing, echo every further byte on the connection (a switched protocol). */
  tunnel?: boolean;
}

/** One request as the backend saw it. */
export interface ScriptedRequest {
  /** Connection number (1, 2, ... in accept order). */
  conn: number;
  target: string;
  /** The head as received (latin1, without the empty line). */
  head: string;
}

export interface ScriptedBackend {
  readonly address: string;
  readonly requests: ScriptedRequest[];
  /** True once connection `conn` has closed. */
  closed(conn: number): boolean;
  stop(): void;
}

interface ConnState {
  id: number;
  buf: string;
  /** Request body bytes still to skip. */
  skip: number;
  /** Echoing raw bytes (after a 101). */
  tunnel: boolean;
}

/** Starts the backend on 127.0.0.1:0; `answer` picks the script for a request (null: 404). */
export function scriptedBackend(answer: (req: ScriptedRequest) => Script | null): ScriptedBackend {
  const requests: ScriptedRequest[] = [];
  const closedConns = new Set<number>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let nextId = 0;
  const play = (s: Socket<ConnState>, script: Script, i = 0): void => {
    if (i >= script.parts.length) {
      if (script.close) s.end();
      return;
    }
    s.write(Buffer.from(script.parts[i]!, "latin1"));
    const t = setTimeout(() => {
      timers.delete(t);
      play(s, script, i + 1);
    }, i + 1 < script.parts.length ? script.gapMs ?? 30 : 0);
    timers.add(t);
  };
  const server: TCPSocketListener<ConnState> = Bun.listen<ConnState>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { id: ++nextId, buf: "", skip: 0, tunnel: false };
      },
      data(s, d) {
        const st = s.data;
        if (st.tunnel) return void s.write(d);
        st.buf += d.toString("latin1");
        for (let guard = 0; guard < 100; guard++) {
          if (st.skip > 0) {
            const n = Math.min(st.skip, st.buf.length);
            st.skip -= n;
            st.buf = st.buf.slice(n);
            if (st.skip > 0) return;
          }
          const at = st.buf.indexOf("\r\n\r\n");
          if (at < 0) return;
          const head = st.buf.slice(0, at);
          st.buf = st.buf.slice(at + 4);
          // bodies are skipped by Content-Length only: these tests send no chunked bodies upstream
          st.skip = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          const req: ScriptedRequest = { conn: st.id, target: head.split(" ")[1] ?? "", head };
          requests.push(req);
          const script = answer(req) ?? { parts: ["HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n"] };
          play(s, script);
          if (script.tunnel) {
            st.tunnel = true;
            if (st.buf !== "") s.write(Buffer.from(st.buf, "latin1"));
            return;
          }
        }
      },
      close(s) {
        closedConns.add(s.data.id);
      },
      error() {},
    },
  });
  return {
    address: `127.0.0.1:${server.port}`,
    requests,
    closed: (conn) => closedConns.has(conn),
    stop() {
      for (const t of timers) clearTimeout(t);
      server.stop(true);
    },
  };
}
