import { describe, expect, test } from "bun:test";
import { genConfig } from "../helpers/config-gen.ts";
import { call, makeApp } from "./setup.ts";

const SEEDS = Array.from({ length: 25 }, (_, i) => i + 1);

describe("GET then PUT is a no-op (property over generated documents)", () => {
  test("the JSON and the YAML that GET /v1/config returns, PUT accepts unchanged at the same revision", async () => {
    for (const seed of SEEDS) {
      const { app, store } = makeApp();
      const first = await call(app, "PUT", "/v1/config", genConfig(seed));
      if (first.status !== 200) throw new Error(`seed ${seed}: ${first.text}`);
      const revision = first.body.revision;
      const json = await call(app, "GET", "/v1/config");
      expect(json.headers.get("etag")).toBe(`"${revision}"`);
      const again = await call(app, "PUT", "/v1/config", json.body, { "if-match": json.headers.get("etag")! });
      expect({ seed, status: again.status, changed: again.body.changed, revision: again.body.revision }).toEqual({ seed, status: 200, changed: false, revision });
      const yaml = await call(app, "GET", "/v1/config", undefined, { accept: "application/yaml" });
      const fromYaml = await call(app, "PUT", "/v1/config", yaml.text, { "content-type": "application/yaml" });
      expect({ seed, changed: fromYaml.body.changed, revision: fromYaml.body.revision }).toEqual({ seed, changed: false, revision });
      expect(store.history().length).toBe(1);
    }
  });

  test("every resource GET body, PUT as is with its ETag, is accepted unchanged at the same revision", async () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const { app } = makeApp();
      const revision = (await call(app, "PUT", "/v1/config", genConfig(seed))).body.revision;
      const doc = (await call(app, "GET", "/v1/config")).body;
      const paths: [string, string, any][] = [];
      for (const l of doc.listeners) {
        paths.push([`/v1/listeners/${l.name}`, "listener", l]);
        for (const r of l.routes ?? []) paths.push([`/v1/listeners/${l.name}/routes/${r.name}`, "route", r]);
      }
      for (const p of doc.pools) {
        paths.push([`/v1/pools/${p.name}`, "pool", p]);
        for (const b of p.backends) paths.push([`/v1/pools/${p.name}/backends/${encodeURIComponent(b.address)}`, "backend", b]);
      }
      for (const c of doc.certificates) paths.push([`/v1/certificates/${c.name}`, "certificate", c]);
      for (const [path, , inDoc] of paths) {
        const got = await call(app, "GET", path);
        expect(got.body).toEqual(inDoc);
        const put = await call(app, "PUT", path, got.body, { "if-match": got.headers.get("etag")! });
        expect({ seed, path, status: put.status, changed: put.body.changed, revision: put.body.revision }).toEqual({
          seed,
          path,
          status: 200,
          changed: false,
          revision,
        });
      }
    }
  });
});
