import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startProxy } from "../../src/l7/index.ts";
import { startOrigin } from "../helpers/origin.ts";

test("a TLS listener terminates TLS and tells the backend X-Forwarded-Proto: https", async () => {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-l7-tls-"));
  const gen = Bun.spawn(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-days", "1",
    "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")], { stdout: "ignore", stderr: "ignore" });
  expect(await gen.exited).toBe(0);
  const origin = startOrigin({ fetch: (req) => new Response(req.headers.get("x-forwarded-proto") ?? "none") });
  const proxy = startProxy({
    hooks: { selectUpstream: () => ({ address: origin.address }) },
    tls: { cert: readFileSync(join(dir, "c.pem"), "utf8"), key: readFileSync(join(dir, "k.pem"), "utf8") },
  });
  try {
    const res = await fetch(`https://127.0.0.1:${proxy.port}/`, { tls: { rejectUnauthorized: false } });
    expect(await res.text()).toBe("https");
  } finally {
    proxy.stop(true);
    origin.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
