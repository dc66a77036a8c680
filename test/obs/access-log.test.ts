/** Access-log lines as written to a real file: chosen fields in order, JSON or text, batched writes. */
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessLog, LogSink, reopenLogFiles, type AccessLogEntry } from "../../src/obs/index.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-access-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");

const entry: AccessLogEntry = {
  time: "2026-05-04T10:11:12.345Z", request_id: "0190a8f2-3c4d-7abc-9def-0123456789ab", method: "GET",
  target: '/a b?q="x"', status: 200, duration_ms: 1.25, user_agent: "Mozilla/5.0 (X11)", referer: undefined,
};

test("JSON lines carry the chosen fields in the order given, absent ones left out, strings escaped", () => {
  const file = join(dir, "json.log");
  const log = new AccessLog(new LogSink(file), ["status", "method", "referer", "target", "duration_ms", "request_id"]);
  log.write(entry);
  log.sink.flush();
  const line = read(file);
  expect(line).toBe('{"status":200,"method":"GET","target":"/a b?q=\\"x\\"","duration_ms":1.25,"request_id":"0190a8f2-3c4d-7abc-9def-0123456789ab"}\n');
  expect(Object.keys(JSON.parse(line))).toEqual(["status", "method", "target", "duration_ms", "request_id"]);
});

test("text lines: values in field order, - for an absent one, values with spaces or quotes as JSON strings", () => {
  const file = join(dir, "text.log");
  const log = new AccessLog(new LogSink(file), ["time", "status", "method", "target", "user_agent", "referer", "duration_ms"], "text");
  log.write(entry);
  log.write({ ...entry, method: "-", user_agent: "" });
  log.sink.flush();
  expect(read(file).split("\n")).toEqual([
    '2026-05-04T10:11:12.345Z 200 GET "/a b?q=\\"x\\"" "Mozilla/5.0 (X11)" - 1.25',
    '2026-05-04T10:11:12.345Z 200 "-" "/a b?q=\\"x\\"" "" - 1.25',
    "",
  ]);
});

test("wants() tells which fields to gather", () => {
  const log = new AccessLog(new LogSink(join(dir, "w.log")), ["status", "user_agent"]);
  expect([log.wants("user_agent"), log.wants("referer"), log.wants("time")]).toEqual([true, false, false]);
});

test("lines are written in batches, and a rotated file is left behind at the next batch", async () => {
  const file = join(dir, "batch.log");
  const log = new AccessLog(new LogSink(file), ["status"]);
  log.write({ status: 200 });
  log.write({ status: 201 });
  expect(read(file)).toBe(""); // still buffered: no write per request
  const deadline = Date.now() + 2000;
  while (read(file) === "" && Date.now() < deadline) await Bun.sleep(20);
  expect(read(file)).toBe('{"status":200}\n{"status":201}\n');
  renameSync(file, `${file}.1`);
  log.write({ status: 202 });
  expect(reopenLogFiles()).toContain(file);
  expect(read(file)).toBe('{"status":202}\n');
  expect(read(`${file}.1`)).toBe('{"status":200}\n{"status":201}\n');
});
