/**
 * Reads socket options of this process's own TCP sockets through libc (bun:ffi), for tests that
 * must see what the kernel was told (TCP_NODELAY, say) rather than what a Bun API claims. Linux
 * only: the sockets are found by walking /proc/self/fd.
 */
import { dlopen, FFIType } from "bun:ffi";
import { readdirSync, readlinkSync } from "node:fs";

const IPPROTO_TCP = 6;
const TCP_NODELAY = 1;

const libc = dlopen(process.platform === "linux" ? "libc.so.6" : "libc.dylib", {
  getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  getpeername: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
}).symbols;

/** A TCP socket of this process: its descriptor and both ends' ports (IPv4 or IPv6). */
export interface OwnSocket {
  fd: number;
  localPort: number;
  peerPort: number;
}

function portOf(fn: (fd: number, addr: Uint8Array, len: Uint32Array) => number, fd: number): number {
  const addr = new Uint8Array(128);
  const len = new Uint32Array([addr.length]);
  if (fn(fd, addr, len) !== 0) return -1;
  return (addr[2]! << 8) | addr[3]!; // sin_port / sin6_port, network order, after the family
}

/** Every connected socket descriptor of this process (listening and unconnected ones have no peer). */
export function ownSockets(): OwnSocket[] {
  const out: OwnSocket[] = [];
  for (const name of readdirSync("/proc/self/fd")) {
    const fd = Number(name);
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // closed meanwhile (the listing's own descriptor, say)
    }
    if (!target.startsWith("socket:")) continue;
    const peerPort = portOf(libc.getpeername as never, fd);
    if (peerPort < 0) continue;
    out.push({ fd, localPort: portOf(libc.getsockname as never, fd), peerPort });
  }
  return out;
}

/** Whether Nagle's algorithm is off on socket `fd` (TCP_NODELAY set). */
export function noDelay(fd: number): boolean {
  const v = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (libc.getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, v, len) !== 0) throw new Error(`getsockopt(${fd}, TCP_NODELAY) failed`);
  return v[0] !== 0;
}
