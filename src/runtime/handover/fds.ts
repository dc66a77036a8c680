/**
 * Descriptor duplication through libc (bun:ffi), so a listening socket can get a second owner: a
 * successor listener in this process (a certificate change), or a new node started as a child
 * (an upgrade), keeps the very same socket, with the connections already queued on it, while its
 * predecessor closes its own descriptor. Linux and glibc or musl; elsewhere `dup` throws and the
 * callers bind afresh instead.
 */
import { dlopen, FFIType } from "bun:ffi";

interface Libc {
  dup(fd: number): number;
  close(fd: number): number;
}

let libc: Libc | undefined;

function load(): Libc {
  if (libc) return libc;
  let last: unknown;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      const lib = dlopen(name, { dup: { args: [FFIType.i32], returns: FFIType.i32 }, close: { args: [FFIType.i32], returns: FFIType.i32 } });
      return (libc = lib.symbols as unknown as Libc);
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`cannot load libc to duplicate sockets: ${String(last)}`);
}

/** A new descriptor for the socket behind `fd` (both must be closed to close it). Throws when dup fails. */
export function dupFd(fd: number): number {
  const copy = load().dup(fd);
  if (copy < 0) throw new Error(`dup(${fd}) failed`);
  return copy;
}

/** Closes descriptor `fd` (one not owned by a Bun listener). */
export function closeFd(fd: number): void {
  load().close(fd);
}
