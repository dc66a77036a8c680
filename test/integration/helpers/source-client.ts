/**
 * Clients that connect from a chosen loopback source address (127.0.0.x, ::1), for access-list
 * and per-client tests: a raw TCP conversation (node:net with localAddress), one UDP socket bound
 * to the address, and curl with --interface. Every wait is bounded.
 */
import dgram from "node:dgram";
import net from "node:net";
import { run } from "../https-helpers.ts";

/** A TCP connection from `from` to `host:port`, reading everything the peer sends. */
export interface SourceConn {
  write(data: string | Uint8Array): void;
  text(): string;
  readonly closed: boolean;
  /** Resolves with text() once it contains `what`; rejects after `ms` (or when the peer closed first). */
  waitFor(what: string, ms?: number): Promise<string>;
  /** Resolves once the peer closed; rejects after `ms`. */
  waitClosed(ms?: number): Promise<void>;
  end(): void;
}

/** Connects from `from`; resolves once connected (a refused connect rejects). */
export function connectFrom(from: string, port: number, host = from.includes(":") ? "::1" : "127.0.0.1"): Promise<SourceConn> {
  return new Promise((resolve, reject) => {
    let got = "";
    let closed = false;
    const sock = net.connect({ host, port, localAddress: from });
    sock.on("data", (d: Buffer) => void (got += d.toString("latin1")));
    sock.on("close", () => void (closed = true));
    sock.on("error", (e) => (closed ? undefined : reject(e)));
    const poll = async (done: () => boolean, ms: number, what: string): Promise<void> => {
      const end = Date.now() + ms;
      while (!done()) {
        if (Date.now() > end) throw new Error(`${what} not seen within ${ms} ms; got ${JSON.stringify(got.slice(0, 300))}`);
        await Bun.sleep(10);
      }
    };
    sock.once("connect", () =>
      resolve({
        write: (d) => void sock.write(typeof d === "string" ? Buffer.from(d, "latin1") : d),
        text: () => got,
        get closed() {
          return closed;
        },
        async waitFor(what, ms = 3000) {
          await poll(() => got.includes(what) || closed, ms, JSON.stringify(what));
          if (!got.includes(what)) throw new Error(`closed before ${JSON.stringify(what)}; got ${JSON.stringify(got.slice(0, 300))}`);
          return got;
        },
        waitClosed: (ms = 3000) => poll(() => closed, ms, "close"),
        end: () => void sock.end(),
      }),
    );
  });
}

/** A UDP socket bound to `from`: send to a port, collect replies. */
export async function udpFrom(from: string): Promise<{ send(port: number, msg: string): void; replies: string[]; close(): void }> {
  const s = dgram.createSocket(from.includes(":") ? "udp6" : "udp4");
  const replies: string[] = [];
  s.on("message", (m) => void replies.push(m.toString()));
  await new Promise<void>((r) => s.bind(0, from, () => r()));
  return {
    send: (port, msg) => void s.send(msg, port, from.includes(":") ? "::1" : "127.0.0.1"),
    replies,
    close: () => s.close(),
  };
}

/** One curl request from `from` (--interface); status, response head and body. */
export async function curlFrom(from: string, url: string, args: string[] = []): Promise<{ status: number; head: string; body: string; code: number; stderr: string }> {
  const r = await run(["curl", "-sS", "--max-time", "5", "--interface", from, "-D", "-", ...args, url]);
  const split = r.stdout.indexOf("\r\n\r\n");
  const head = split < 0 ? r.stdout : r.stdout.slice(0, split);
  const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1] ?? 0);
  return { status, head: head.toLowerCase(), body: split < 0 ? "" : r.stdout.slice(split + 4), code: r.code, stderr: r.stderr };
}
