// Shared test setup: tests run against the debug WASM build, whose bounds checks are on.
process.env.FULCRUM_WASM = "debug";
