/** A listener's access_log: the short string forms, the object form, and errors that name the field. */
import { describe, expect, test } from "bun:test";
import { ACCESS_LOG_FIELDS, compileSnapshot, validateConfig, type Problem } from "../../src/config/index.ts";
import { expectLbError } from "./helpers.ts";

const doc = (access_log: unknown) => ({
  listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:8080", pool: "app", access_log }],
  pools: [{ name: "app", backends: [{ address: "10.0.0.1:80" }] }],
});
const compiled = (access_log: unknown) => compileSnapshot(validateConfig(doc(access_log)), 1).listeners[0]!.accessLog;
const problems = (access_log: unknown) => expectLbError(() => validateConfig(doc(access_log)), "CONFIG_INVALID").details as Problem[];

describe("access_log compiles", () => {
  test("\"stdout\" and a path: JSON lines with every field; \"off\" and none: no log", () => {
    expect(compiled("stdout")).toEqual({ path: "stdout", format: "json", fields: [...ACCESS_LOG_FIELDS] });
    expect(compiled("/var/log/fulcrum/web.log")).toMatchObject({ path: "/var/log/fulcrum/web.log", format: "json" });
    expect(compiled("off")).toBeUndefined();
    expect(compiled(undefined)).toBeUndefined();
    expect(compiled({ path: "off", fields: ["status"] })).toBeUndefined();
  });

  test("the object form keeps the chosen fields in their order, and the format", () => {
    expect(compiled({ path: "stdout", fields: ["status", "time", "user_agent"], format: "text" })).toEqual({
      path: "stdout", format: "text", fields: ["status", "time", "user_agent"],
    });
    expect(compiled({ path: "/tmp/a.log" })).toEqual({ path: "/tmp/a.log", format: "json", fields: [...ACCESS_LOG_FIELDS] });
  });
});

describe("access_log refuses, naming the field", () => {
  test("an unknown field name, and one listed twice", () => {
    expect(problems({ path: "stdout", fields: ["status", "agent", "status"] })).toEqual([
      { path: "listeners[0].access_log.fields[1]", message: expect.stringContaining('unknown access log field "agent"') },
      { path: "listeners[0].access_log.fields[2]", message: 'access log field "status" is listed twice' },
    ]);
  });

  test("an unknown key, an unknown format, an empty list, a missing path", () => {
    expect(problems({ path: "stdout", colour: true })).toEqual([{ path: "listeners[0].access_log.colour", message: "unknown field" }]);
    expect(problems({ path: "stdout", format: "xml" })).toEqual([{ path: "listeners[0].access_log.format", message: expect.stringContaining('"json"') }]);
    expect(problems({ path: "stdout", fields: [] }).map((p) => p.path)).toEqual(["listeners[0].access_log.fields"]);
    expect(problems({ fields: ["status"] })).toEqual([{ path: "listeners[0].access_log.path", message: "required" }]);
  });

  test("a value of neither form says which forms it takes", () => {
    expect(problems(42)).toEqual([{ path: "listeners[0].access_log", message: "expected string or object" }]);
  });
});
