/**
 * The response-side case list (test/l7/response-cases.ts) through a real node, against a backend
 * that writes exactly the bytes each case chooses. A follow-up request pipelined behind each case
 * shows whether the client connection survived and stayed in step; the backend's connection log
 * shows whether the node reused or dropped the backend connection.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rawExchange } from "../helpers/origin.ts";
import { killAll } from "../helpers/process.ts";
import { RESPONSE_CASES, type ResponseCase } from "../l7/response-cases.ts";
import { removeTempDirs, startNode, until } from "./helpers/l7-node.ts";
import { scriptedBackend, type ScriptedBackend } from "./helpers/scripted-backend.ts";

const FOLLOW_UP = "GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
const FOLLOW_UP_RESPONSE = "HTTP/1.1 200 Follow-Up\r\nContent-Length: 7\r\n\r\nok-tail";

let be: ScriptedBackend;
let port = 0;

beforeAll(async () => {
  be = scriptedBackend((req) => {
    if (req.target === "/ok") return { parts: [FOLLOW_UP_RESPONSE] };
    const c = RESPONSE_CASES[Number(req.target.split("/")[2])];
    if (!c) return null;
    return { parts: typeof c.response === "string" ? [c.response] : c.response, close: c.backendCloses };
  });
  const n = await startNode({
    listeners: [{ name: "web", protocol: "http", address: "127.0.0.1:0", pool: "raw" }],
    pools: [{ name: "raw", response_timeout_ms: 3000, backends: [{ address: be.address }] }],
  });
  port = n.port("web");
});

afterAll(async () => {
  await killAll();
  removeTempDirs();
  be?.stop();
});

interface Head {
  status: number;
  fields: [string, string][];
}

/** Splits `text` into 1xx heads, the final head and the bytes after it. */
function readResponse(text: string): { interim: Head[]; final: Head; body: string } {
  const interim: Head[] = [];
  let pos = 0;
  for (let guard = 0; guard < 10; guard++) {
    const end = text.indexOf("\r\n\r\n", pos);
    if (end < 0) throw new Error(`no complete head in ${JSON.stringify(text.slice(0, 300))}`);
    const [line, ...lines] = text.slice(pos, end).split("\r\n");
    const head: Head = {
      status: Number(line!.split(" ")[1]),
      fields: lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
    };
    pos = end + 4;
    if (head.status >= 200) return { interim, final: head, body: text.slice(pos) };
    interim.push(head);
  }
  throw new Error("too many 1xx heads");
}

function expectFields(head: Head, want: Record<string, string[]> | undefined, what: string): void {
  for (const [name, values] of Object.entries(want ?? {})) {
    const got = head.fields.filter(([n]) => n === name).map(([, v]) => v);
    expect({ what, name, values: got }).toEqual({ what, name, values });
  }
}

async function run(c: ResponseCase, i: number): Promise<void> {
  const path = `/c/${i}`;
  const request = (c.request ?? "GET PATH HTTP/1.1\r\nHost: t\r\n\r\n").replace("PATH", path);
  const r = await rawExchange(port, request + (c.followUp === false ? "" : FOLLOW_UP), 5000);
  const at = r.text.indexOf("HTTP/1.1 200 Follow-Up");
  const own = at < 0 ? r.text : r.text.slice(0, at);
  const followed = at >= 0 && r.text.endsWith("ok-tail");
  expect(r.closed).toBe(true);
  const seen = be.requests.filter((q) => q.target === path).at(-1);
  const conn = seen?.conn ?? -1;
  const e = c.expect;
  if ("refused" in e) {
    const res = readResponse(own);
    expect(res.final.status).toBe(502);
    expectFields(res.final, { "x-fulcrum-error": [e.code ?? "UPSTREAM_PROTOCOL"] }, "the node's reply");
    if (e.refused !== null) expect(res.body).toContain(e.refused);
    expect(followed).toBe(!e.clientCloses && c.followUp !== false);
    await until(() => be.closed(conn), 3000);
    return;
  }
  if ("cut" in e) {
    for (const s of e.lacks) expect(r.text).not.toContain(s);
    expect(followed).toBe(false);
    await until(() => be.closed(conn), 3000);
    return;
  }
  const res = readResponse(own);
  expect(res.final.status).toBe(e.status);
  expectFields(res.final, e.fields, "final head");
  if (e.interim !== undefined) {
    expect(res.interim.length).toBe(e.interim.length);
    e.interim.forEach((want, k) => expectFields(res.interim[k]!, want, `1xx head ${k}`));
  }
  if (e.body !== undefined) expect(res.body).toBe(e.body);
  if (c.followUp !== false) expect(followed).toBe(!e.clientCloses);
  if (e.upstream === "closed") await until(() => be.closed(conn), 3000);
  else if (followed) expect(be.requests.at(-1)!.conn).toBe(conn);
}

describe("what a backend sends, through a real node", () => {
  RESPONSE_CASES.forEach((c, i) => {
    test(c.name, async () => await run(c, i));
  });
});
