/**
 * The scale bench's parts that can be checked quickly: its client process opens connections from
 * many loopback source addresses, has each served and holds it; the node config it writes
 * validates; nginx accepts its backend config.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasBinary } from "../../l4/helpers/peers.ts";
import { runFulcrum } from "../../helpers/process.ts";
import { startClients } from "./clients.ts";
import { backendHosts, scaleFulcrumYaml, scaleNginx } from "./setup.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-scale-test-"));
const sources = new Set<string>();
const backend = Bun.listen<{ buf: string }>({
  hostname: "127.0.0.1",
  port: 0,
  socket: {
    open(s) {
      sources.add(s.remoteAddress);
      s.data = { buf: "" };
    },
    data(s, d) {
      s.data.buf += d.toString();
      if (s.data.buf.includes("\r\n\r\n")) s.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    },
  },
});
afterAll(() => {
  backend.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

test("clients open their connections from many 127.1.x.y addresses, have each served, and hold them", async () => {
  const clients = startClients(backend.port, 300, 2, 20);
  try {
    expect(await clients.ready(30_000)).toMatchObject({ opened: 300, failed: 0 });
    expect(clients.closed()).toBe(0);
    expect(sources.size).toBe(128);
    expect([...sources].every((a) => a.startsWith("127.1."))).toBe(true);
  } finally {
    await clients.stop();
  }
}, 60_000);

test("the node config it writes validates, with the limits raised", async () => {
  const file = join(dir, "scale.yaml");
  const yaml = scaleFulcrumYaml("tcp", 1, backendHosts(8).map((h) => `${h}:80`), 101_000);
  expect(yaml).toContain("max_connections: 101000");
  expect(scaleFulcrumYaml("http", 1, ["127.1.0.1:80"], 101_000)).toContain("max_connections: 101000");
  writeFileSync(file, yaml);
  const r = await runFulcrum(["validate", file]);
  expect(r.stderr).toBe("");
  expect(r.stdout).toStartWith("ok (1 listener, 1 pool");
  expect(r.code).toBe(0);
}, 30_000);

test.skipIf(!hasBinary("nginx"))("nginx accepts the backend config on eight addresses", () => {
  const conf = join(dir, "backend.conf");
  writeFileSync(conf, scaleNginx(dir, backendHosts(8), 18_090, 1000));
  const r = Bun.spawnSync(["nginx", "-t", "-p", dir, "-c", conf], { stdout: "pipe", stderr: "pipe" });
  expect(r.stderr.toString()).toContain("syntax is ok");
  expect(r.exitCode).toBe(0);
});
