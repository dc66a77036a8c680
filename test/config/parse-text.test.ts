import { describe, expect, test } from "bun:test";
import { parseConfigText } from "../../src/config/index.ts";
import { expectLbError } from "./helpers.ts";

describe("parseConfigText", () => {
  test("reads YAML and JSON to the same value", () => {
    const yaml = "pools:\n  - name: app\n    backends: [{ address: '10.0.0.1:80' }]\n";
    const json = '{"pools":[{"name":"app","backends":[{"address":"10.0.0.1:80"}]}]}';
    expect(parseConfigText(yaml)).toEqual(JSON.parse(json));
    expect(parseConfigText(json)).toEqual(JSON.parse(json));
    expect(parseConfigText(json, "yaml")).toEqual(JSON.parse(json));
    expect(parseConfigText("  \n")).toEqual({});
  });

  test("broken JSON is INVALID_JSON with its line and column", () => {
    const e = expectLbError(() => parseConfigText('{\n  "pools": [\n    {"name": x}\n  ]\n}'), "INVALID_JSON");
    expect(e.status).toBe(400);
    expect(e.details![0]).toMatchObject({ line: 3, col: 14 });
    expect(e.message).toContain("line 3");
    expectLbError(() => parseConfigText("pools: []", "json"), "INVALID_JSON");
  });

  test("broken YAML, and a repeated key, are INVALID_YAML with a line", () => {
    const e = expectLbError(() => parseConfigText("pools:\n  - name: a\n    name: b\n"), "INVALID_YAML");
    expect(e.details![0]).toMatchObject({ line: 3 });
    expectLbError(() => parseConfigText("pools: [\n"), "INVALID_YAML");
  });
});
