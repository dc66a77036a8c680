import { expect, test } from "bun:test";
import { core, coreFlavor, memU8 } from "../../src/wasm/index.ts";

test("loads the debug core under test and exposes its memory", () => {
  expect(coreFlavor()).toBe("debug");
  expect(core().memory).toBeInstanceOf(WebAssembly.Memory);
  expect(memU8().length).toBeGreaterThan(0);
});
