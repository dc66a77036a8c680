/**
 * Bun's allocator (mimalloc) hands freed pages back to the OS from its scavenger thread, and the
 * main thread faults them in again: about 0.26 page faults per proxied request and stalls of 1–4 ms
 * in the tail (issue 17, BUN-NOTES). `MIMALLOC_PURGE_DELAY=-1 MIMALLOC_PURGE_DECOMMITS=0` stop it,
 * but mimalloc reads them once, at process start. So a long-running command started without them
 * executes itself again in place (`execve` of /proc/self/exe with the same argv): the PID stays,
 * so do signals, a service manager's PID tracking and inherited file descriptors (listening
 * sockets handed over by an upgrade). A variable the operator set is kept as it is: setting
 * `MIMALLOC_PURGE_DELAY=10` (mimalloc's default) turns the remedy off.
 */
import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { readFileSync } from "node:fs";

/** The settings every launcher gives Bun (npm scripts, the binary itself, service files). */
export const ALLOCATOR_ENV: Readonly<Record<string, string>> = Object.freeze({
  MIMALLOC_PURGE_DELAY: "-1",
  MIMALLOC_PURGE_DECOMMITS: "0",
});

/** Commands that run for long and serve traffic; the others exit before purging matters. */
const LONG_RUNNING = new Set(["start", "demo"]);

/** `KEY=value` entries of ALLOCATOR_ENV that `env` lacks (a variable set to anything, even "", counts as set). */
export function missingAllocatorEnv(env: Record<string, string | undefined>): string[] {
  return Object.entries(ALLOCATOR_ENV)
    .filter(([k]) => env[k] === undefined)
    .map(([k, v]) => `${k}=${v}`);
}

/** A NUL-separated /proc file (cmdline, environ) as its entries. */
function procList(file: string): string[] {
  const entries = readFileSync(file, "latin1").split("\0");
  if (entries.at(-1) === "") entries.pop();
  return entries;
}

/** A NULL-terminated array of C strings; `keep` holds the buffers the pointers point into. */
function cStrings(list: readonly string[], keep: Buffer[]): BigUint64Array {
  const out = new BigUint64Array(list.length + 1);
  list.forEach((s, i) => {
    const b = Buffer.from(`${s}\0`, "latin1");
    keep.push(b);
    out[i] = BigInt(ptr(b));
  });
  return out;
}

/**
 * Replaces this process image with a fresh run of the same executable, argv and environment plus
 * `extra` (KEY=value). Returns only when execve failed, with its errno.
 */
function execSelf(extra: readonly string[]): number {
  const libc = dlopen("libc.so.6", {
    execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  });
  const keep: Buffer[] = [];
  const path = Buffer.from("/proc/self/exe\0", "latin1");
  const argv = cStrings(procList("/proc/self/cmdline"), keep);
  const envp = cStrings([...procList("/proc/self/environ"), ...extra], keep);
  libc.symbols.execve(ptr(path), ptr(argv), ptr(envp));
  const errno = read.i32(libc.symbols.__errno_location()!);
  libc.close();
  return errno;
}

/**
 * Re-executes this process in place with the allocator settings it lacks (see the header); returns
 * when none is missing, or, after a warning on stderr, when the re-exec failed (the process then
 * runs with mimalloc's defaults). Linux only; elsewhere it returns at once.
 */
export function restartWithAllocatorEnv(): void {
  if (process.platform !== "linux") return;
  const missing = missingAllocatorEnv(process.env);
  if (missing.length === 0) return;
  let why: string;
  try {
    why = `execve failed, errno ${execSelf(missing)}`;
  } catch (e) {
    why = String(e);
  }
  console.error(`fulcrum: could not restart with ${missing.join(" ")} (${why}); running without them, set them in the environment to avoid page-fault stalls`);
}

/** Called first thing by src/main.ts with the command line: `start` and `demo` get the settings. */
export function ensureAllocatorEnv(args: readonly string[]): void {
  if (LONG_RUNNING.has(args[0] ?? "")) restartWithAllocatorEnv();
}
