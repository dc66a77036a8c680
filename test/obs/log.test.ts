import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/obs/index.ts";

describe("the event log", () => {
  const at = new Date("2026-05-04T10:11:12.345Z");

  test("text: UTC timestamp, a fixed-width level, the message", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l), now: () => at });
    log.info("listener web (http) on 127.0.0.1:8080", { listener: "web" });
    log.warn("health: pool app backend 10.0.0.1:80 unhealthy: status 503");
    log.error("boom");
    expect(lines).toEqual([
      "2026-05-04T10:11:12.345Z INFO  listener web (http) on 127.0.0.1:8080",
      "2026-05-04T10:11:12.345Z WARN  health: pool app backend 10.0.0.1:80 unhealthy: status 503",
      "2026-05-04T10:11:12.345Z ERROR boom",
    ]);
  });

  test("json: one object a line with time, level, msg and the fields", () => {
    const lines: string[] = [];
    const log = createLogger({ format: "json", write: (l) => lines.push(l), now: () => at });
    log.warn('a "quoted"\nmessage', { pool: "app", revision: 3 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({ time: "2026-05-04T10:11:12.345Z", level: "warn", msg: 'a "quoted"\nmessage', pool: "app", revision: 3 });
  });
});
