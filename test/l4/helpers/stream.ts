/**
 * Streaming endpoints for relay tests: each side sends N random bytes (generated as it goes,
 * honouring partial writes and drain) and hashes what it sends and what it receives, so two ends
 * can be compared by sha256 without holding 100 MB in memory.
 */
import type { Socket } from "bun";

const CHUNK = 65536;

/** One end of a stream test; attach as `socket.data` and route the handlers below to it. */
export class StreamEnd {
  readonly txHash = new Bun.CryptoHasher("sha256");
  readonly rxHash = new Bun.CryptoHasher("sha256");
  rxBytes = 0;
  txBytes = 0;
  private left: number;
  private carry?: Uint8Array;
  private readPaused = false;
  readonly received: Promise<void>;
  private gotEnd: () => void = () => {};

  constructor(private readonly sock: Socket<StreamEnd>, toSend: number) {
    this.left = toSend;
    this.received = new Promise((resolve) => (this.gotEnd = resolve));
  }

  /** Writes until the socket pushes back or everything is sent (then sends a FIN). */
  pump(): void {
    for (;;) {
      let chunk = this.carry;
      if (!chunk) {
        if (this.left === 0) {
          this.sock.shutdown(); // a FIN; Bun's end() would close both directions
          return;
        }
        chunk = crypto.getRandomValues(new Uint8Array(Math.min(CHUNK, this.left)));
        this.left -= chunk.length;
        this.txHash.update(chunk);
      }
      const n = Math.max(this.sock.write(chunk), 0);
      this.txBytes += n;
      if (n < chunk.length) {
        this.carry = chunk.subarray(n);
        return;
      }
      this.carry = undefined;
    }
  }

  onData(d: Uint8Array): void {
    this.rxHash.update(d);
    this.rxBytes += d.length;
  }

  /** Stops reading (the kernel buffers fill, then the relay must push back). */
  pauseReading(): void {
    this.readPaused = true;
    this.sock.pause();
  }

  resumeReading(): void {
    this.readPaused = false;
    this.sock.resume();
  }

  onEnd(): void {
    this.gotEnd();
  }
}

/** Socket handlers that drive a StreamEnd stored in `socket.data` (created in `open`). */
export function streamHandlers(toSend: number, onOpen?: (end: StreamEnd) => void) {
  return {
    open(s: Socket<StreamEnd>) {
      s.data = new StreamEnd(s, toSend);
      onOpen?.(s.data);
      s.data.pump();
    },
    data: (s: Socket<StreamEnd>, d: Uint8Array) => s.data.onData(d),
    drain: (s: Socket<StreamEnd>) => s.data.pump(),
    end: (s: Socket<StreamEnd>) => s.data.onEnd(),
    close: (s: Socket<StreamEnd>) => s.data?.onEnd(),
    error: () => {},
  };
}
