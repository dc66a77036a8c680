/**
 * A raw HTTP/1.1 backend that shows exactly what reached it: no HTTP library in between to
 * normalize the request line. For bodiless requests only; each is answered 200 with
 * `x-backend: <name>` and a JSON body { line, host } (the request line and the Host values as
 * received), keep-alive.
 */
import type { TCPSocketListener } from "bun";

export interface LineBackend {
  readonly name: string;
  readonly address: string;
  /** Request heads received so far, raw. */
  readonly heads: string[];
  stop(): void;
}

/** What a line backend answered with. */
export interface SeenLine {
  line: string;
  host: string[];
}

/** Starts a line backend named `name` on 127.0.0.1, port 0. */
export function lineBackend(name: string): LineBackend {
  const heads: string[] = [];
  const server: TCPSocketListener<{ buf: string }> = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, d) {
        s.data.buf += d.toString("latin1");
        for (let i = s.data.buf.indexOf("\r\n\r\n"); i >= 0; i = s.data.buf.indexOf("\r\n\r\n")) {
          const head = s.data.buf.slice(0, i);
          s.data.buf = s.data.buf.slice(i + 4);
          heads.push(head);
          const lines = head.split("\r\n");
          const host = lines.slice(1).filter((l) => /^host:/i.test(l)).map((l) => l.slice(5).trim());
          const body = JSON.stringify({ line: lines[0], host } satisfies SeenLine);
          s.write(`HTTP/1.1 200 OK\r\nx-backend: ${name}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
        }
      },
    },
  });
  return { name, address: `127.0.0.1:${server.port}`, heads, stop: () => server.stop(true) };
}

/** Splits a raw response into status code, x-backend, x-fulcrum-error and body (first response only). */
export function parseRaw(text: string): { status: number; backend: string | null; error: string | null; body: string } {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const field = (name: string) => new RegExp(`\\r\\n${name}: ([^\\r]*)`, "i").exec(head)?.[1] ?? null;
  const len = Number(field("content-length") ?? 0);
  return {
    status: Number(head.slice(9, 12)),
    backend: field("x-backend"),
    error: field("x-fulcrum-error"),
    body: end < 0 ? "" : text.slice(end + 4, end + 4 + len),
  };
}
