/**
 * Plain-TypeScript twin of assembly/clienthello.ts, written differently on purpose (records are
 * gathered byte by byte into an array, the body is read through a cursor that throws when it runs
 * out) so the fuzz test can compare the two. It follows the same order of checks, so for any
 * input both give the same status, SNI and ALPN list.
 */

export type OracleStatus = "need_more" | "not_tls" | "malformed" | "no_sni" | "ok";

export interface OracleResult {
  status: OracleStatus;
  sni?: string;
  alpn?: string[];
}

class Cursor {
  pos = 0;
  constructor(private readonly b: number[], private readonly end = b.length) {}
  u8(): number {
    if (this.pos + 1 > this.end) throw new RangeError("short");
    return this.b[this.pos++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  bytes(n: number): number[] {
    if (this.pos + n > this.end) throw new RangeError("short");
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  get left(): number {
    return this.end - this.pos;
  }
}

const HOST = /^[A-Za-z0-9._-]{1,255}$/;

function parseBody(body: number[]): OracleResult {
  const c = new Cursor(body);
  if (c.u16() >> 8 !== 3) return { status: "malformed" };
  c.bytes(32);
  const sid = c.u8();
  if (sid > 32) return { status: "malformed" };
  c.bytes(sid);
  const cs = c.u16();
  if (cs < 2 || cs % 2 !== 0) return { status: "malformed" };
  c.bytes(cs);
  const cm = c.u8();
  if (cm < 1) return { status: "malformed" };
  c.bytes(cm);
  if (c.left === 0) return { status: "no_sni" };
  if (c.u16() !== c.left) return { status: "malformed" };
  let sni: string | undefined;
  let alpn: string[] | undefined;
  while (c.left > 0) {
    const type = c.u16();
    const data = c.bytes(c.u16());
    if (type === 0) {
      if (sni !== undefined) return { status: "malformed" };
      sni = serverName(data);
    } else if (type === 16) {
      if (alpn !== undefined) return { status: "malformed" };
      alpn = alpnNames(data);
    }
  }
  const result: OracleResult = { status: sni ? "ok" : "no_sni" };
  if (sni) result.sni = sni.toLowerCase();
  if (alpn) result.alpn = alpn;
  return result;
}

/** Returns "" when the list has no host_name; throws RangeError when malformed. */
function serverName(data: number[]): string {
  const c = new Cursor(data);
  const listLen = c.u16();
  if (listLen !== c.left || listLen === 0) throw new RangeError("list");
  let name: string | undefined;
  while (c.left > 0) {
    const type = c.u8();
    const bytes = c.bytes(c.u16());
    if (type !== 0) continue;
    const s = String.fromCharCode(...bytes);
    if (name !== undefined || !HOST.test(s)) throw new RangeError("name");
    name = s;
  }
  return name ?? "";
}

function alpnNames(data: number[]): string[] {
  const c = new Cursor(data);
  const listLen = c.u16();
  if (listLen !== c.left || listLen < 2) throw new RangeError("alpn");
  const names: string[] = [];
  while (c.left > 0) {
    const n = c.u8();
    if (n === 0) throw new RangeError("alpn name");
    names.push(String.fromCharCode(...c.bytes(n)));
  }
  return names;
}

/** The oracle: same contract as the kernel with a scratch region of `cap` bytes. */
export function oracleClientHello(b: Uint8Array, cap = 16384): OracleResult {
  const len = b.length;
  if (len === 0) return { status: "need_more" };
  if (b[0] !== 22 || (len >= 2 && b[1] !== 3) || (len >= 3 && b[2]! > 4)) return { status: "not_tls" };
  const hs: number[] = [];
  let target = 4;
  let known = false;
  for (let pos = 0; ; ) {
    if (len - pos < 5) return { status: "need_more" };
    if (b[pos] !== 22 || b[pos + 1] !== 3) return { status: "malformed" };
    const recLen = (b[pos + 3]! << 8) | b[pos + 4]!;
    if (recLen === 0 || recLen > 16384) return { status: "malformed" };
    const fragEnd = Math.min(pos + 5 + recLen, len);
    for (let i = pos + 5; i < fragEnd; i++) {
      hs.push(b[i]!);
      if (hs.length < target) continue;
      if (known) return finish(hs);
      const hsLen = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
      if (hs[0] !== 1 || hsLen + 4 > cap) return { status: "malformed" };
      known = true;
      target = 4 + hsLen;
      if (hs.length === target) return finish(hs);
    }
    if (fragEnd - pos - 5 < recLen) return { status: "need_more" };
    pos += 5 + recLen;
  }
}

function finish(hs: number[]): OracleResult {
  try {
    return parseBody(hs.slice(4));
  } catch (e) {
    if (e instanceof RangeError) return { status: "malformed" };
    throw e;
  }
}
