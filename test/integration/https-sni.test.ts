/**
 * https listeners end to end through a real `fulcrum start`: several certificates picked by the
 * ClientHello's SNI (exact, wildcard, unknown → default), TLS 1.2 minimum, ALPN (h2 by default), and a
 * certificate replaced through the admin API while a keep-alive connection opened before goes on.
 * Certificates are made with openssl at test time; clients are openssl s_client, curl and node:tls.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";
import { cn, makeCert, run, sClient, TlsClient } from "./https-helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-https-"));
const pem = (n: string) => ({ cert_pem: readFileSync(join(dir, `${n}.crt`), "utf8"), key_pem: readFileSync(join(dir, `${n}.key`), "utf8") });
let origin: Server<unknown>;
let node: StartedNode;
let multi = 0;
let single = 0;

async function ports(): Promise<Record<string, number>> {
  const st = (await (await fetch(`${node.url}/v1/status`)).json()) as { listeners: { name: string; address: string }[] };
  return Object.fromEntries(st.listeners.map((l) => [l.name, Number(l.address.split(":").pop())]));
}

beforeAll(async () => {
  await Promise.all([
    makeCert(dir, "def", "default.test", "DNS:default.test"),
    makeCert(dir, "a", "a.test", "DNS:a.test"),
    makeCert(dir, "b", "*.b.test", "DNS:*.b.test"),
    makeCert(dir, "a2", "a.test", "DNS:a.test", "/O=rotated"),
  ]);
  origin = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`hello ${new URL(req.url).pathname}`) });
  const config = {
    listeners: [
      { name: "multi", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["def", "a", "b"] }, alpn: ["http/1.1"] },
      { name: "single", protocol: "https", address: "127.0.0.1:0", pool: "app", tls: { certificates: ["a"] } },
    ],
    pools: [{ name: "app", algorithm: "round_robin", backends: [{ address: `127.0.0.1:${origin.port}` }] }],
    certificates: ["def", "a", "b"].map((n) => ({ name: n, ...pem(n) })),
  };
  writeFileSync(join(dir, "fulcrum.json"), JSON.stringify(config));
  node = await startFulcrum(["--config", join(dir, "fulcrum.json"), "--db", join(dir, "fulcrum.db")]);
  ({ multi = 0, single = 0 } = await ports());
});

afterAll(async () => {
  await killAll();
  origin?.stop(true);
  rmSync(dir, { recursive: true, force: true });
});

describe("https listener with several certificates", () => {
  test("serves the certificate whose name matches the SNI exactly, by wildcard, or the default", async () => {
    expect(cn(await sClient(multi, ["-servername", "a.test"]))).toBe("a.test");
    expect(cn(await sClient(multi, ["-servername", "x.b.test"]))).toBe("*.b.test");
    expect(cn(await sClient(multi, ["-servername", "X.B.TEST"]))).toBe("*.b.test");
    expect(cn(await sClient(multi, ["-servername", "unknown.test"]))).toBe("default.test");
    expect(cn(await sClient(multi, ["-servername", "b.test"]))).toBe("default.test"); // *.b.test does not cover b.test
    expect(cn(await sClient(multi, ["-noservername"]))).toBe("default.test");
  });

  test("curl verifies each name against its own certificate and gets the backend's answer", async () => {
    for (const [name, ca] of [["a.test", "a"], ["deep.b.test", "b"], ["default.test", "def"]] as const) {
      const r = await run(["curl", "-sS", "--max-time", "5", "--resolve", `${name}:${multi}:127.0.0.1`, "--cacert", join(dir, `${ca}.crt`), `https://${name}:${multi}/p`]);
      expect(r.stdout).toBe("hello /p");
    }
    // a.test's certificate does not verify for the wildcard name: the pick really depends on SNI
    const wrong = await run(["curl", "-sS", "--max-time", "5", "--resolve", `x.b.test:${multi}:127.0.0.1`, "--cacert", join(dir, "a.crt"), `https://x.b.test:${multi}/`]);
    expect(wrong.code).not.toBe(0);
  });

  test("refuses TLS 1.1 and negotiates TLS 1.2 and 1.3, whichever certificate is picked", async () => {
    for (const name of ["a.test", "x.b.test", "unknown.test"]) {
      // SECLEVEL=0 lets this client really offer TLS 1.1, so the refusal is the server's
      const old = await sClient(multi, ["-servername", name, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
      expect(old).toMatch(/alert protocol version/);
      expect(await sClient(multi, ["-servername", name, "-tls1_2"])).toMatch(/New, TLSv1\.2,/);
      expect(await sClient(multi, ["-servername", name, "-tls1_3"])).toMatch(/New, TLSv1\.3,/);
    }
  });

  test("with alpn [http/1.1], negotiates http/1.1 and nothing else, whichever certificate SNI picks", async () => {
    expect(await sClient(multi, ["-servername", "x.b.test", "-alpn", "h2,http/1.1"])).toMatch(/ALPN protocol: http\/1\.1/);
    expect(await sClient(multi, ["-servername", "a.test", "-alpn", "h2"])).not.toMatch(/ALPN protocol: h2/);
  });
});

describe("https listener with one certificate", () => {
  test("serves it whatever the SNI, TLS 1.2 minimum, ALPN h2 by default (http/1.1 for clients without it)", async () => {
    expect(cn(await sClient(single, ["-servername", "other.test"]))).toBe("a.test");
    expect(await sClient(single, ["-servername", "a.test", "-alpn", "h2,http/1.1"])).toMatch(/ALPN protocol: h2/);
    expect(await sClient(single, ["-servername", "a.test", "-alpn", "http/1.1"])).toMatch(/ALPN protocol: http\/1\.1/);
    expect(await sClient(single, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])).toMatch(/alert protocol version/);
  });
});

describe("certificate replaced through the admin API", () => {
  test("new connections get the new certificate; a keep-alive connection opened before keeps working on the same port", async () => {
    const before = await TlsClient.open(multi, "a.test", join(dir, "a.crt"));
    expect(await before.get("/one")).toBe("hello /one");
    const oldFingerprint = before.fingerprint;

    const res = await fetch(`${node.url}/v1/certificates/a`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(pem("a2")) });
    expect(res.status).toBe(200);
    const subject = async () => (await sClient(multi, ["-servername", "a.test"])).match(/subject=([^\n]*)/)?.[1] ?? "";
    const deadline = Date.now() + 5_000;
    while (!(await subject()).includes("rotated") && Date.now() < deadline) await Bun.sleep(50);
    expect(await subject()).toContain("rotated");
    expect((await ports()).multi).toBe(multi); // a port-0 listener keeps its port across the rebind

    const after = await TlsClient.open(multi, "a.test", join(dir, "a2.crt"));
    expect(after.fingerprint).not.toBe(oldFingerprint);
    expect(await after.get("/new")).toBe("hello /new");
    // the connection made before the change still serves requests, twice over
    expect(await before.get("/two")).toBe("hello /two");
    expect(await before.get("/three")).toBe("hello /three");
    expect(before.fingerprint).toBe(oldFingerprint);
    before.close();
    after.close();
  });
});
