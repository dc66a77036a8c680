import { describe, expect, test } from "bun:test";
import { compileRouteRegex, MAX_PROGRAM_SIZE, type RouteRegex } from "../../src/config/route-regex.ts";

const re = (s: string) => compileRouteRegex(s) as RouteRegex;

describe("compileRouteRegex", () => {
  test("matches like a JavaScript regex for the syntax both share: unanchored unless anchored", () => {
    const cases: [string, string, boolean][] = [
      ["^/items/[0-9]+$", "/items/42", true], ["^/items/[0-9]+$", "/items/4x", false],
      ["items", "/a/items/b", true], ["^/(v1|v2)/", "/v2/x", true], ["^/(?:a|b)+\\.json$", "/abba.json", true],
      ["\\d{3}", "/a12", false], ["(?i)^/admin", "/ADMIN/x", true], ["^/admin", "/ADMIN", false],
    ];
    for (const [p, s, want] of cases) {
      expect({ p, s, got: re(p).test(s) }).toEqual({ p, s, got: want });
      if (!p.startsWith("(?i)")) expect(new RegExp(p).test(s)).toBe(want);
    }
  });

  test("refuses backreferences, lookaround and programs over the size limit, saying why", () => {
    for (const p of ["(a)\\1", "(?<x>a)\\k<x>", "^/(?=admin)", "^/(?!admin)", "(?<=a)b", "[a-z]{200}", "(", "a{2,1}"]) {
      expect({ p, refused: typeof compileRouteRegex(p) }).toEqual({ p, refused: "string" });
    }
    expect(compileRouteRegex("[a-z]{200}")).toContain(`the most is ${MAX_PROGRAM_SIZE}`);
  });

  test("patterns that make a backtracking engine explode take linear time on crafted paths", () => {
    const cases: [string, string][] = [
      ["(a+)+$", `/${"a".repeat(8000)}!`], ["^/(a|aa)+$", `/${"a".repeat(8000)}!`],
      [".*x.*y", "x".repeat(8000)], ["(x+x+)+y", "x".repeat(8000)], ["(.*a){12}$", `/${"a".repeat(8000)}!`],
    ];
    for (const [p, s] of cases) {
      const r = re(p);
      r.test(s); // warm: the first run builds the engine's state cache
      const t0 = performance.now();
      expect(r.test(s)).toBe(false);
      expect({ p, fast: performance.now() - t0 < 250 }).toEqual({ p, fast: true });
    }
  });
});
