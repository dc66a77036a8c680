/**
 * A raw HTTP/2 client for attack tests: writes whatever frames it is told (valid or not) over a
 * real socket, and parses every frame the server sends back. Header blocks come from the codec's
 * own HPACK encoder (its correctness is tested on its own).
 */
import type { Socket } from "bun";
import { ErrorCode, FrameType, PREFACE } from "../../../src/h2/index.ts";
import { HpackDecoder, HpackEncoder } from "../../../src/h2/hpack/index.ts";

export interface Frame {
  type: number;
  flags: number;
  sid: number;
  payload: Buffer;
  /** HEADERS from the server, decoded (it never pads, prioritises or splits them here). */
  fields?: [string, string][];
}

export function frame(type: number, flags: number, sid: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid, 5);
  return Buffer.concat([h, payload]);
}

export function u32(...v: number[]): Buffer {
  const b = Buffer.alloc(4 * v.length);
  v.forEach((x, i) => b.writeUInt32BE(x >>> 0, 4 * i));
  return b;
}

export function settings(pairs: [number, number][]): Buffer {
  const b = Buffer.alloc(6 * pairs.length);
  pairs.forEach(([id, v], i) => {
    b.writeUInt16BE(id, 6 * i);
    b.writeUInt32BE(v, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, b);
}

interface State {
  out: Buffer[];
  rx: Buffer;
  /** Bytes that arrived before the RawH2 object existed. */
  early: Buffer[];
}

export class RawH2 {
  readonly frames: Frame[] = [];
  closed = false;
  readonly enc = new HpackEncoder();
  private readonly dec = new HpackDecoder(4096, 1 << 20);
  private constructor(private readonly socket: Socket<State>) {}

  /** Connects and sends the preface and `firstSettings` (empty SETTINGS by default). */
  static async connect(port: number, firstSettings: Buffer = settings([])): Promise<RawH2> {
    let raw!: RawH2;
    const socket = await Bun.connect<State>({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.data = { out: [], rx: Buffer.alloc(0), early: [] };
        },
        data(s, d) {
          if (raw) raw.receive(d as Buffer);
          else s.data.early.push(Buffer.from(d));
        },
        drain: () => raw.flush(),
        close: () => {
          raw.closed = true;
        },
        error() {},
      },
    });
    raw = new RawH2(socket);
    for (const d of socket.data.early.splice(0)) raw.receive(d);
    raw.send(Buffer.concat([PREFACE, firstSettings]));
    return raw;
  }

  private receive(d: Buffer): void {
    const st = this.socket.data;
    st.rx = st.rx.length === 0 ? d : Buffer.concat([st.rx, d]);
    while (st.rx.length >= 9) {
      const len = st.rx.readUIntBE(0, 3);
      if (st.rx.length < 9 + len) break;
      const f: Frame = { type: st.rx[3]!, flags: st.rx[4]!, sid: st.rx.readUInt32BE(5) & 0x7fff_ffff, payload: Buffer.from(st.rx.subarray(9, 9 + len)) };
      if (f.type === FrameType.HEADERS) {
        const b = this.dec.decode(f.payload, 0, f.payload.length);
        f.fields = Array.from({ length: b.count }, (_, i) => [b.name(i), b.value(i)] as [string, string]);
      }
      this.frames.push(f);
      st.rx = st.rx.subarray(9 + len);
    }
  }

  /** Writes bytes, keeping what the socket does not take for its drain. */
  send(b: Buffer): void {
    const q = this.socket.data.out;
    if (q.length > 0) return void q.push(b);
    const n = this.socket.write(b);
    if (n < b.length) q.push(b.subarray(Math.max(0, n)));
  }

  private flush(): void {
    const q = this.socket.data.out;
    while (q.length > 0) {
      const b = q[0]!, n = this.socket.write(b);
      if (n < b.length) {
        q[0] = b.subarray(Math.max(0, n));
        return;
      }
      q.shift();
    }
  }

  /** A header block for a request (and any extra fields). */
  block(method: string, path: string, extra: [string, string][] = []): Buffer {
    this.enc.begin();
    for (const [n, v] of [[":method", method], [":scheme", "http"], [":path", path], [":authority", "test"], ...extra] as [string, string][]) {
      this.enc.field(n, v);
    }
    return Buffer.from(this.enc.buf.subarray(0, this.enc.finish()));
  }

  /** Waits (bounded) for a frame matching `pred`. */
  async waitFor(pred: (f: Frame) => boolean, ms = 5000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const f = this.frames.find(pred);
      if (f) return f;
      if (this.closed || Date.now() > deadline) throw new Error(`no such frame (closed=${this.closed}); got types ${this.frames.map((x) => x.type).join(",")}`);
      await Bun.sleep(5);
    }
  }

  /** The GOAWAY the server sent: its code, last stream id and debug text. */
  async goaway(ms = 5000): Promise<{ code: number; last: number; debug: string }> {
    const f = await this.waitFor((x) => x.type === FrameType.GOAWAY, ms);
    return { last: f.payload.readUInt32BE(0), code: f.payload.readUInt32BE(4), debug: f.payload.toString("latin1", 8) };
  }

  async waitClosed(ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("the server did not close the connection");
      await Bun.sleep(5);
    }
  }

  count(type: number, pred: (f: Frame) => boolean = () => true): number {
    return this.frames.filter((f) => f.type === type && pred(f)).length;
  }

  rstCode(f: Frame): number {
    return f.payload.readUInt32BE(0);
  }

  close(): void {
    this.socket.end();
  }
}

export { ErrorCode, FrameType };
