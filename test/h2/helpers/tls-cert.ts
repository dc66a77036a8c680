/** A self-signed certificate for 127.0.0.1 / localhost in a temporary folder, for the TLS tests. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeCert } from "../../integration/https-helpers.ts";

export interface TestCert {
  cert: string;
  key: string;
  certFile: string;
  remove(): void;
}

export async function testCert(): Promise<TestCert> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-h2-"));
  await makeCert(dir, "h2", "localhost", "DNS:localhost,IP:127.0.0.1");
  const certFile = join(dir, "h2.crt");
  return {
    cert: readFileSync(certFile, "utf8"),
    key: readFileSync(join(dir, "h2.key"), "utf8"),
    certFile,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
