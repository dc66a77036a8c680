/**
 * An interactive raw client on loopback for conversations a single send cannot express (an
 * upgrade, then bytes through the tunnel): write, then wait (bounded) for text to arrive.
 */
import type { Socket } from "bun";

export interface RawClient {
  write(data: string): void;
  /** Everything received so far (latin1). */
  text(): string;
  readonly closed: boolean;
  /** Resolves with text() once it contains `what` (or the peer closed), rejects after `ms`. */
  waitFor(what: string, ms?: number): Promise<string>;
  /** Resolves once the peer closed, rejects after `ms`. */
  waitClosed(ms?: number): Promise<void>;
  end(): void;
}

/** Connects to 127.0.0.1:`port`. */
export async function rawClient(port: number): Promise<RawClient> {
  let got = "";
  let closed = false;
  const sock: Socket<undefined> = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_s, d) => void (got += Buffer.from(d).toString("latin1")),
      close: () => void (closed = true),
      error: () => void (closed = true),
    },
  });
  const poll = async (done: () => boolean, ms: number, what: string): Promise<void> => {
    const end = Date.now() + ms;
    while (!done()) {
      if (Date.now() > end) throw new Error(`${what} not seen within ${ms} ms; got ${JSON.stringify(got.slice(0, 500))}`);
      await Bun.sleep(10);
    }
  };
  return {
    write: (data) => void sock.write(Buffer.from(data, "latin1")),
    text: () => got,
    get closed() { return closed; },
    async waitFor(what, ms = 3000) {
      await poll(() => got.includes(what) || closed, ms, JSON.stringify(what));
      return got;
    },
    waitClosed: (ms = 3000) => poll(() => closed, ms, "close"),
    end: () => sock.end(),
  };
}
