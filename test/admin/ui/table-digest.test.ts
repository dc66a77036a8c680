import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { baseDoc, call, makeApp } from "../setup.ts";

async function tableOf(doc: unknown) {
  const { app } = makeApp();
  expect((await call(app, "PUT", "/v1/config", doc)).status).toBe(200);
  return (await call(app, "GET", "/v1/pools/api/table?slots=true")).body;
}

describe("GET /v1/pools/{name}/table digest", () => {
  test("is sha256 over the backends the slots index and the slots (little-endian i32)", async () => {
    const t = await tableOf(baseDoc());
    const bytes = Buffer.alloc(t.table.length * 4);
    t.table.forEach((v: number, i: number) => bytes.writeInt32LE(v, i * 4));
    const h = createHash("sha256").update(t.backends.map((b: any) => b.address).join("\n")).update("\n\n").update(bytes);
    expect(t.digest).toBe(`sha256:${h.digest("hex")}`);
  });

  test("two nodes with the same pool show the same digest; another backend or weight changes it", async () => {
    const a = await tableOf(baseDoc());
    const b = await tableOf(baseDoc());
    expect(a.digest).toBe(b.digest);
    const more = baseDoc();
    more.pools[1].backends.push({ address: "10.0.1.3:80" });
    expect((await tableOf(more)).digest).not.toBe(a.digest);
    const heavier = baseDoc();
    heavier.pools[1].backends[0].weight = 3;
    expect((await tableOf(heavier)).digest).not.toBe(a.digest);
  });
});
