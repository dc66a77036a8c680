import { expect, test } from "bun:test";
import { isLbError } from "../../src/errors.ts";
import { SniMatcher } from "../../src/l4/sni-match.ts";

const m = new SniMatcher(
  [
    { names: ["a.example.com", "*.b.example.com"], target: "app" },
    { names: ["*.example.com"], target: "wild" },
    { names: ["x.b.example.com"], target: "exact-x" },
  ],
  "fallback",
);

test("prefers an exact name, then the longest wildcard, then the default", () => {
  expect(m.match("a.example.com")).toBe("app");
  expect(m.match("x.b.example.com")).toBe("exact-x");
  expect(m.match("y.b.example.com")).toBe("app");
  expect(m.match("deep.y.b.example.com")).toBe("app");
  expect(m.match("c.example.com")).toBe("wild");
  expect(m.match("example.com")).toBe("fallback");
  expect(m.match("b.example.com")).toBe("wild");
  expect(m.match("other.org")).toBe("fallback");
  expect(m.match(undefined)).toBe("fallback");
});

test("compares case-insensitively and ignores a trailing dot", () => {
  expect(m.match("A.Example.COM.")).toBe("app");
  expect(new SniMatcher([{ names: ["API.Example.com."], target: 1 }]).match("api.example.com")).toBe(1);
});

test("has no default unless one is given", () => {
  expect(new SniMatcher([{ names: ["a.io"], target: 1 }]).match("b.io")).toBeUndefined();
});

test("rejects bad and duplicate names with CONFIG_INVALID", () => {
  for (const names of [["*"], ["a.*.com"], ["-a.com"], ["a..com"], ["a b.com"], ["x.io", "X.io"], ["**.a.com"]]) {
    let err: unknown;
    try {
      new SniMatcher([{ names, target: 1 }]);
    } catch (e) {
      err = e;
    }
    expect(isLbError(err, "CONFIG_INVALID")).toBe(true);
  }
});
