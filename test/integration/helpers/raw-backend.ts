/**
 * A raw HTTP/1.1 backend on Bun.listen for tests about connections and timing: it counts the
 * connections open at once (the most ever, too) and answers each request the way the test says:
 * after a delay, headers then a stalled body, or never. Keep-alive unless told otherwise.
 */
import type { Socket, TCPSocketListener } from "bun";

export type RawMode =
  /** `200 ok` after `delayMs` (or `status`). */
  | "slow"
  /** Headers promising 100 body bytes and 10 of them, then nothing. */
  | "stall-body"
  /** Reads the request and never answers. */
  | "silent";

export interface RawBackend {
  readonly address: string;
  mode: RawMode;
  delayMs: number;
  status: number;
  /** "slow" answers with `connection: close` and closes. */
  closeAfter: boolean;
  /** Connections open now, and the most open at once since the start (or `resetMax`). */
  readonly open: number;
  readonly maxOpen: number;
  /** Connections accepted, requests seen. */
  readonly accepted: number;
  readonly requests: number;
  /** Requests received and not answered yet, and the most at once since the start (or `resetMax`). */
  readonly inFlight: number;
  readonly maxInFlight: number;
  /** Connections closed (by either side). */
  readonly closed: number;
  resetMax(): void;
  stop(): void;
}

/** Starts a raw backend on 127.0.0.1, port 0. */
export function rawBackend(mode: RawMode, delayMs = 0): RawBackend {
  let open = 0, maxOpen = 0, accepted = 0, requests = 0, closed = 0, inFlight = 0, maxInFlight = 0;
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let server: TCPSocketListener<{ buf: string }> | undefined;
  const b: RawBackend = {
    address: "",
    mode,
    delayMs,
    status: 200,
    closeAfter: false,
    get open() { return open; },
    get maxOpen() { return maxOpen; },
    get accepted() { return accepted; },
    get requests() { return requests; },
    get closed() { return closed; },
    get inFlight() { return inFlight; },
    get maxInFlight() { return maxInFlight; },
    resetMax() {
      maxOpen = open;
      maxInFlight = inFlight;
    },
    stop() {
      for (const t of timers) clearTimeout(t);
      server?.stop(true);
    },
  };
  const answer = (s: Socket<{ buf: string }>) => {
    if (b.mode === "silent") return;
    if (b.mode === "stall-body") return void s.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789");
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    const t = setTimeout(() => {
      timers.delete(t);
      inFlight--;
      s.write(`HTTP/1.1 ${b.status} X\r\ncontent-length: 2\r\n${b.closeAfter ? "connection: close\r\n" : ""}\r\nok`);
      if (b.closeAfter) s.end();
    }, b.delayMs);
    timers.add(t);
  };
  server = Bun.listen<{ buf: string }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        s.data = { buf: "" };
        accepted++;
        maxOpen = Math.max(maxOpen, ++open);
      },
      data(s, d) {
        s.data.buf += d.toString("latin1");
        // requests here are bodiless GETs: one per blank line
        for (let i = s.data.buf.indexOf("\r\n\r\n"); i >= 0; i = s.data.buf.indexOf("\r\n\r\n")) {
          s.data.buf = s.data.buf.slice(i + 4);
          requests++;
          answer(s);
        }
      },
      close() {
        open--;
        closed++;
      },
    },
  });
  (b as { address: string }).address = `127.0.0.1:${server.port}`;
  return b;
}
