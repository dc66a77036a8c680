/**
 * The one owner of the WebAssembly instance (STYLE.md §7.9): instantiates the core once, hands out
 * its exports, and re-derives typed-array views whenever linear memory has grown (a `memory.grow`
 * detaches every view made before it).
 *
 * The .wasm files are imported `with { type: "file" }` so `bun build --compile` embeds them and the
 * binary finds them from any folder. Tests and `FULCRUM_WASM=debug` load the debug build, whose
 * bounds checks (`assert`) are on; everything else loads the optimised release build.
 */
import { readFileSync } from "node:fs";
import debugPath from "../../build/core.debug.wasm" with { type: "file" };
import releasePath from "../../build/core.release.wasm" with { type: "file" };
import { LbError } from "../errors.ts";

/** Raw exports of the core; each kernel's facade (src/wasm/*.ts) narrows what it uses. */
export type CoreExports = Record<string, unknown> & { memory: WebAssembly.Memory };

export type CoreFlavor = "debug" | "release";

let instance: CoreExports | undefined;
let viewBuffer: ArrayBuffer | undefined;
let u8View = new Uint8Array(0);
let u32View = new Uint32Array(0);
let i32View = new Int32Array(0);
let u16View = new Uint16Array(0);

function decodeAbortMessage(mem: WebAssembly.Memory, ptr: number): string {
  if (ptr === 0) return "";
  // AssemblyScript strings: UTF-16 code units, byte length stored 4 bytes before the pointer.
  const bytes = new Uint32Array(mem.buffer, ptr - 4, 1)[0] ?? 0;
  return String.fromCharCode(...new Uint16Array(mem.buffer, ptr, bytes >>> 1));
}

/** The flavor chosen for this process: `FULCRUM_WASM=debug` (set by the test preload) or release. */
export function coreFlavor(): CoreFlavor {
  return process.env.FULCRUM_WASM === "debug" ? "debug" : "release";
}

/** Instantiates a fresh core (used by benchmarks to compare flavors); most code wants `core()`. */
export function instantiateCore(flavor: CoreFlavor = coreFlavor()): CoreExports {
  const bytes = readFileSync(flavor === "debug" ? debugPath : releasePath);
  let memory: WebAssembly.Memory | undefined;
  const imports = {
    env: {
      // The only host import the core may have (STYLE.md §1). Reaching it is a bug in the core.
      abort(msgPtr: number, filePtr: number, line: number, column: number): never {
        const msg = memory ? decodeAbortMessage(memory, msgPtr) : "";
        const file = memory ? decodeAbortMessage(memory, filePtr) : "";
        throw new LbError("WASM_ABORT", `wasm core aborted: ${msg} at ${file}:${line}:${column}`);
      },
    },
  };
  const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
  const exports = inst.exports as CoreExports;
  memory = exports.memory;
  return exports;
}

/** The process-wide core instance, created on first use. */
export function core(): CoreExports {
  if (!instance) instance = instantiateCore();
  return instance;
}

function refreshViews(): void {
  const buf = core().memory.buffer;
  if (buf === viewBuffer) return;
  viewBuffer = buf;
  u8View = new Uint8Array(buf);
  u16View = new Uint16Array(buf);
  u32View = new Uint32Array(buf);
  i32View = new Int32Array(buf);
}

/** Byte view of linear memory, valid until the next call that may grow memory. */
export function memU8(): Uint8Array {
  refreshViews();
  return u8View;
}
/** u16 view of linear memory (index = byte offset >>> 1). */
export function memU16(): Uint16Array {
  refreshViews();
  return u16View;
}
/** u32 view of linear memory (index = byte offset >>> 2). */
export function memU32(): Uint32Array {
  refreshViews();
  return u32View;
}
/** i32 view of linear memory (index = byte offset >>> 2). */
export function memI32(): Int32Array {
  refreshViews();
  return i32View;
}
