/**
 * Issue 16: /v1/openapi.json holds against a real node (`fulcrum start` with a token). The node
 * runs the description's own example document; then, for every operation, the request its
 * examples make (path and query parameters, body; writes as the dry run their example asks for)
 * gets a success status the operation lists, with a body that status's schema accepts (ajv, JSON
 * Schema 2020-12). The same request with an unknown query parameter, without the token, or (when
 * it takes If-Match) with a stale one gets an error status it lists, with its Error body; and
 * If-None-Match with the ETag it answered gets its 304. Not fuzzing: one request of each kind.
 *
 * The examples are sent as they are but for two things a test cannot take from a document: a
 * listener binds 127.0.0.1:0 instead of its example port, and certificates are real ones made by
 * openssl instead of PEM placeholders.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020.js";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";
import { removeTempDirs, tempDir } from "../integration/helpers/l7-node.ts";
import { makeCert } from "./setup.ts";

const TOKEN = "contract-token";
const METHODS = ["get", "put", "post", "patch", "delete"];

let node: StartedNode;
let doc: any;
const cert = makeCert("contract");
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });

/** The example with listeners on 127.0.0.1:0 and real PEMs. */
function localize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(localize);
  if (typeof v !== "object" || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === "cert_pem" || k === "key_pem" ? cert[k] : localize(x);
  if ("protocol" in out && "address" in out) out.address = "127.0.0.1:0";
  return out;
}

const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

/** Errors of `value` against `schema` (which may $ref the document's components); [] when valid. */
function problems(schema: any, value: unknown): string[] {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) compiled.set(key, (validate = ajv.compile({ ...schema, components: doc.components })));
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

interface Op {
  method: string;
  path: string;
  op: any;
}

function operations(): Op[] {
  const out: Op[] = [];
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    for (const method of METHODS) if (item[method]) out.push({ method, path, op: item[method] });
  }
  return out;
}

const param = (p: any): unknown => p.example ?? p.schema?.examples?.[0] ?? p.schema?.default;

/** The request the operation's examples make; `change` alters the query and headers. */
function request(o: Op, change: { query?: Record<string, string>; headers?: Record<string, string>; token?: boolean } = {}) {
  let path = o.path;
  const query = new URLSearchParams();
  for (const p of o.op.parameters.filter((x: any) => !x.$ref)) {
    const value = param(p);
    if (p.in === "path") path = path.replace(`{${p.name}}`, encodeURIComponent(String(value)));
    else if (p.in === "query" && value !== undefined) for (const v of Array.isArray(value) ? value : [value]) query.append(p.name, String(v));
  }
  for (const [k, v] of Object.entries(change.query ?? {})) query.append(k, v);
  const headers: Record<string, string> = { ...(change.token === false ? {} : { authorization: `Bearer ${TOKEN}` }), ...change.headers };
  let body: string | undefined;
  const content = o.op.requestBody?.content;
  if (content) {
    const [type, media] = Object.entries<any>(content)[0]!;
    headers["content-type"] = type;
    body = JSON.stringify(localize(media.example));
  }
  const qs = query.toString();
  return fetch(`${node.url}${path}${qs ? `?${qs}` : ""}`, { method: o.method.toUpperCase(), headers, body, redirect: "manual", signal: AbortSignal.timeout(10_000) });
}

/** Checks `res` against the answer `o` documents for its status; returns the body text. */
async function conforms(o: Op, res: Response): Promise<string> {
  const text = await res.text();
  const where = `${o.op.operationId} ${res.status}`;
  const answer = o.op.responses[String(res.status)];
  expect({ where, documented: answer !== undefined }).toEqual({ where, documented: true });
  if (!answer.content) return text;
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  expect({ where, type, listed: type in answer.content }).toEqual({ where, type, listed: true });
  if (type.endsWith("json")) expect({ where, problems: problems(answer.content[type].schema, JSON.parse(text)) }).toEqual({ where, problems: [] });
  return text;
}

beforeAll(async () => {
  const dir = tempDir();
  node = await startFulcrum(["--db", join(dir, "contract.db")], { FULCRUM_ADMIN_TOKEN: TOKEN });
  const res = await fetch(`${node.url}/v1/openapi.json`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  doc = await res.json();
  const example = doc.paths["/v1/config"].put.requestBody.content["application/json"].example;
  const put = await fetch(`${node.url}/v1/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(localize(example)),
  });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
});

describe("the description against a real node", () => {
  test("every example body is valid against its documented schema", () => {
    for (const o of operations()) {
      for (const [type, media] of Object.entries<any>(o.op.requestBody?.content ?? {})) {
        expect({ op: o.op.operationId, type, hasExample: media.example !== undefined }).toEqual({ op: o.op.operationId, type, hasExample: true });
        expect({ op: o.op.operationId, problems: problems(media.schema, media.example) }).toEqual({ op: o.op.operationId, problems: [] });
      }
    }
  });

  test("each operation's example request gets a documented success, with a body its schema accepts", async () => {
    const seen: string[] = [];
    for (const o of operations()) {
      const res = await request(o);
      await conforms(o, res);
      expect({ op: o.op.operationId, status: res.status, success: res.status < 400 }).toEqual({ op: o.op.operationId, status: res.status, success: true });
      seen.push(o.op.operationId);
    }
    expect(seen.length).toBeGreaterThanOrEqual(40);
    // Dry runs stored nothing: the example document is still the revision the test wrote.
    const revisions = await fetch(`${node.url}/v1/revisions`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(((await revisions.json()) as any).revisions).toHaveLength(1);
  });

  test("an unknown query parameter, a missing token and a stale If-Match get documented errors", async () => {
    for (const o of operations()) {
      const unknown = await request(o, { query: { zz_unknown: "1" } });
      expect({ op: o.op.operationId, status: unknown.status }).toEqual({ op: o.op.operationId, status: 400 });
      await conforms(o, unknown);

      const open = Array.isArray(o.op.security) && o.op.security.length === 0;
      const anonymous = await request(o, { token: false });
      expect({ op: o.op.operationId, status: anonymous.status === 401 }).toEqual({ op: o.op.operationId, status: !open });
      await conforms(o, anonymous);

      if (o.op.parameters.some((p: any) => p.$ref === "#/components/parameters/If-Match")) {
        const stale = await request(o, { headers: { "if-match": '"999999"' } });
        expect({ op: o.op.operationId, status: stale.status }).toEqual({ op: o.op.operationId, status: 412 });
        await conforms(o, stale);
      }
    }
  });

  test("If-None-Match with the ETag a read answered gets the documented 304", async () => {
    let checked = 0;
    for (const o of operations().filter((x) => x.op.parameters.some((p: any) => p.$ref === "#/components/parameters/If-None-Match"))) {
      const first = await request(o);
      await first.arrayBuffer();
      const tag = first.headers.get("etag");
      if (first.status !== 200) continue;
      expect({ op: o.op.operationId, etag: tag !== null }).toEqual({ op: o.op.operationId, etag: true });
      const again = await request(o, { headers: { "if-none-match": tag! } });
      expect({ op: o.op.operationId, status: again.status }).toEqual({ op: o.op.operationId, status: 304 });
      await conforms(o, again);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(11);
  });
});
