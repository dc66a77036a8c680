/**
 * Two H2Connections wired back to back in memory (the codec is socket-agnostic): what one writes
 * is fed to the other by `pump`, in order, until both are quiet. Bytes can be held back to act
 * like a peer that stopped reading.
 */
import { H2Connection, type H2Options, type H2Output, type H2SessionHandler } from "../../../src/h2/index.ts";

export class PipeOutput implements H2Output {
  chunks: Buffer[] = [];
  ended = false;
  /** Bytes written so far. */
  written = 0;
  /** Makes write report a full transport (the connection then holds DATA back). */
  full = false;

  write(buf: Buffer, start: number, end: number): boolean {
    this.chunks.push(Buffer.from(buf.subarray(start, end)));
    this.written += end - start;
    return !this.full;
  }

  end(): void {
    this.ended = true;
  }

  take(): Buffer[] {
    const c = this.chunks;
    this.chunks = [];
    return c;
  }
}

export interface Pair {
  client: H2Connection;
  server: H2Connection;
  toServer: PipeOutput;
  toClient: PipeOutput;
  /** Delivers everything written both ways until nothing moves (bounded). */
  pump(): void;
}

export function pair(server: H2SessionHandler, client: H2SessionHandler = {}, opts: { server?: Partial<H2Options>; client?: Partial<H2Options> } = {}): Pair {
  const toServer = new PipeOutput(), toClient = new PipeOutput();
  const s = new H2Connection("server", toClient, server, opts.server);
  const c = new H2Connection("client", toServer, client, opts.client);
  return {
    client: c,
    server: s,
    toServer,
    toClient,
    pump() {
      for (let i = 0; i < 10_000; i++) {
        const a = toServer.take(), b = toClient.take();
        if (a.length === 0 && b.length === 0) return;
        for (const x of a) s.feed(x);
        for (const x of b) c.feed(x);
      }
      throw new Error("pump: the connections never went quiet");
    },
  };
}
