import { describe, expect, test } from "bun:test";
import { adminBaseUrl, parseArgs, parseHostPort } from "../../src/cli/args.ts";
import { isLbError } from "../../src/errors.ts";

function usageError(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    return isLbError(e, "INVALID_ARGUMENT");
  }
  return false;
}

describe("parseArgs", () => {
  const spec = { db: "string", admin: "string", file: "string", "dry-run": "boolean" } as const;

  test("reads --flag value, --flag=value, short aliases, booleans and positionals", () => {
    const a = parseArgs(["--db", "x.db", "--admin=127.0.0.1:0", "-f", "c.yaml", "--dry-run", "extra"], spec, { f: "file" });
    expect(a.flags).toEqual({ db: "x.db", admin: "127.0.0.1:0", file: "c.yaml" });
    expect(a.bools).toEqual({ "dry-run": true });
    expect(a.positionals).toEqual(["extra"]);
  });

  test("a lone -- ends option parsing", () => {
    expect(parseArgs(["--", "--db"], spec).positionals).toEqual(["--db"]);
  });

  test("unknown options, missing values and values on booleans are usage errors", () => {
    expect(usageError(() => parseArgs(["--nope"], spec))).toBe(true);
    expect(usageError(() => parseArgs(["-x"], spec))).toBe(true);
    expect(usageError(() => parseArgs(["--db"], spec))).toBe(true);
    expect(usageError(() => parseArgs(["--dry-run=yes"], spec))).toBe(true);
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
