import { expect, setSystemTime, test } from "bun:test";
import { rateLimitedLog } from "../../src/obs/index.ts";

test("prints the first lines of each second and summarises the rest", () => {
  const lines: string[] = [];
  const log = rateLimitedLog((l) => lines.push(l), 3, "health events");
  setSystemTime(new Date("2026-01-01T00:00:00.000Z"));
  for (let i = 0; i < 10; i++) log(`e${i}`);
  expect(lines).toEqual(["e0", "e1", "e2"]);
  setSystemTime(new Date("2026-01-01T00:00:01.000Z"));
  log("next");
  expect(lines.slice(3)).toEqual(["(7 more health events in the last second not shown; see /v1/status)", "next"]);
  setSystemTime();
});
