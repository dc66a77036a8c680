import { describe, expect, test } from "bun:test";
import { adminBaseUrl, parseCommand, parseHostPort } from "../../src/cli/args.ts";
import type { CommandSpec } from "../../src/cli/specs.ts";
import { isLbError } from "../../src/errors.ts";

function usageError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    return isLbError(e, "INVALID_ARGUMENT");
  }
  return false;
}

describe("parseCommand", () => {
  const spec = {
    name: "test",
    summary: "a command for the parser's tests",
    options: {
      db: { type: "string", help: "" },
      admin: { type: "string", help: "" },
      file: { type: "string", short: "f", help: "" },
      "dry-run": { type: "boolean", help: "" },
    },
  } as const satisfies CommandSpec;

  test("reads --flag value, --flag=value, short aliases, booleans and positionals", () => {
    const a = parseCommand(spec, ["--db", "x.db", "--admin=127.0.0.1:0", "-f", "c.yaml", "--dry-run", "extra"]);
    expect(a.values).toEqual({ db: "x.db", admin: "127.0.0.1:0", file: "c.yaml", "dry-run": true });
    expect(a.positionals).toEqual(["extra"]);
  });

  test("a lone -- ends option parsing; a lone - is a positional (stdin)", () => {
    expect(parseCommand(spec, ["--", "--db"]).positionals).toEqual(["--db"]);
    expect(parseCommand(spec, ["-"]).positionals).toEqual(["-"]);
  });

  test("unknown options, missing values and values on booleans are usage errors that point at --help", () => {
    for (const argv of [["--nope"], ["-x"], ["--db"], ["--dry-run=yes"]]) {
      expect(usageError(() => parseCommand(spec, argv))).toBe(true);
    }
    expect(() => parseCommand(spec, ["--nope=1"])).toThrow("unknown option --nope (see npm run -s fulcrum -- test --help)");
    expect(() => parseCommand(spec, ["--db"])).toThrow("option --db needs a value");
    expect(() => parseCommand(spec, ["--dry-run=yes"])).toThrow("option --dry-run takes no value");
  });
});

describe("parseHostPort and adminBaseUrl", () => {
  test("split IPv4, IPv6 in brackets and names", () => {
    expect(parseHostPort("127.0.0.1:9901")).toEqual({ host: "127.0.0.1", port: 9901 });
    expect(parseHostPort("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(parseHostPort("localhost:80")).toEqual({ host: "localhost", port: 80 });
  });

  test("refuse what is not HOST:PORT", () => {
    for (const bad of ["127.0.0.1", "::1:80", "h:70000", "h:port"]) expect(usageError(() => parseHostPort(bad))).toBe(true);
  });

  test("turn an address or a URL into a base URL", () => {
    expect(adminBaseUrl("127.0.0.1:9901")).toBe("http://127.0.0.1:9901");
    expect(adminBaseUrl("[::1]:9901")).toBe("http://[::1]:9901");
    expect(adminBaseUrl("http://127.0.0.1:5/")).toBe("http://127.0.0.1:5");
  });
});
