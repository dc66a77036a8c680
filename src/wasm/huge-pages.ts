/**
 * Transparent huge pages for a large region about to be reserved in linear memory (a conntrack
 * table): a lookup in a 64 MiB table with 4 KiB pages misses the TLB on every bucket and walks
 * the page tables before its cache miss even starts; with 2 MiB pages the table needs 32 TLB
 * entries and a lookup waits for about one DRAM miss (issue 17). JSC reserves a WebAssembly
 * memory's address space up front and grows it in place, so advising the range just past the
 * current end (where the region will be placed) before it is first touched makes those pages huge.
 * Best effort, Linux only, through madvise(MADV_HUGEPAGE): with THP off ("never"), an address
 * range not reserved, or no libc, nothing changes and nothing fails.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";

const MADV_HUGEPAGE = 14;
const HUGE = 2 * 1024 * 1024;

let madvise: ((addr: number, len: number, advice: number) => number) | null | undefined;

function libcMadvise(): typeof madvise {
  if (madvise !== undefined) return madvise;
  try {
    const libc = dlopen("libc.so.6", { madvise: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 } });
    madvise = (addr, len, advice) => libc.symbols.madvise(addr, len, advice);
  } catch {
    madvise = null; // not glibc Linux: keep the kernel's default pages
  }
  return madvise;
}

/**
 * Advises huge pages for the `bytes` of `mem` that the next reservation will take: from the
 * current end of memory (rounded down to 2 MiB) to `bytes` past it. Returns true when the kernel
 * took the advice.
 */
export function adviseHugePages(mem: WebAssembly.Memory, bytes: number): boolean {
  if (process.platform !== "linux" || bytes < HUGE) return false;
  const call = libcMadvise();
  if (!call) return false;
  try {
    const base = ptr(new Uint8Array(mem.buffer, 0, 1));
    const from = Math.floor((base + mem.buffer.byteLength) / HUGE) * HUGE;
    const to = Math.ceil((base + mem.buffer.byteLength + bytes) / HUGE) * HUGE;
    return call(from, to - from, MADV_HUGEPAGE) === 0;
  } catch {
    return false; // a memory bun:ffi cannot point into (shared, say): keep the default pages
  }
}
