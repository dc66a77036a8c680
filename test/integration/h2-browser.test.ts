/**
 * A browser over HTTP/2: headless Chromium (Debian's, driven by playwright-core) loads a page with
 * its stylesheet, script and image through an https listener of a real node, which negotiates h2
 * by ALPN and proxies to an HTTP/1.1 backend; the page then POSTs with fetch(). Every resource must
 * have come over h2 (the Navigation and Resource Timing APIs' nextHopProtocol). A WebSocket the page
 * opens rides the same HTTP/2 connection (RFC 8441: one more stream, no new connection).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { killAll } from "../helpers/process.ts";
import { testCert, type TestCert } from "../h2/helpers/tls-cert.ts";
import { launch } from "../admin/ui/helpers/browser.ts";
import type { Server } from "bun";
import { backend, metric, removeTempDirs, startNode, type Backend, type L7Node } from "./helpers/l7-node.ts";

const PAGE = `<!doctype html><html><head><title>over h2</title><link rel="stylesheet" href="/style.css"><script src="/app.js"></script></head>
<body><h1 id="title">loading</h1><img id="pic" src="/pixel.svg" alt=""></body></html>`;
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"><rect width="1" height="1"/></svg>`;
const JS = `addEventListener("DOMContentLoaded", async () => {
  const r = await fetch("/echo", { method: "POST", body: "ping from the page" });
  document.getElementById("title").textContent = r.status + " " + await r.text();
});`;

let cert: TestCert;
let be: Backend;
let n: L7Node;
let browser: Browser;
let ws: Server<undefined>;
const seenProto: string[] = [];

beforeAll(async () => {
  cert = await testCert();
  be = backend("web", async (req) => {
    seenProto.push(req.headers.get("x-forwarded-proto") ?? "");
    const path = new URL(req.url).pathname;
    if (path === "/") return new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } });
    if (path === "/style.css") return new Response("h1 { color: rgb(1, 2, 3); }", { headers: { "content-type": "text/css" } });
    if (path === "/app.js") return new Response(JS, { headers: { "content-type": "text/javascript" } });
    if (path === "/pixel.svg") return new Response(SVG, { headers: { "content-type": "image/svg+xml" } });
    if (path === "/echo") return new Response(`echo: ${await req.text()}`);
    return new Response("not here", { status: 404 });
  });
  ws = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (req, server) => (server.upgrade(req) ? undefined : new Response("websocket only", { status: 426 })),
    websocket: { message: (sock, msg) => void sock.send(`echo:${msg}`) },
  });
  [n, browser] = await Promise.all([
    startNode({
      listeners: [{
        name: "site", protocol: "https", address: "127.0.0.1:0", pool: "web", tls: { certificates: ["c"] },
        routes: [{ name: "ws", match: { path: "/ws" }, pool: "ws" }],
      }],
      pools: [{ name: "web", backends: [{ address: be.address }] }, { name: "ws", backends: [{ address: `127.0.0.1:${ws.port}` }] }],
      certificates: [{ name: "c", cert_pem: cert.cert, key_pem: cert.key }],
    }),
    launch(),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await killAll();
  removeTempDirs();
  be?.stop();
  ws?.stop(true);
  cert?.remove();
});

test("Chromium loads a page, its subresources and a fetch() over h2 through an https listener", async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const res = await page.goto(`https://localhost:${n.port("site")}/`, { waitUntil: "load", timeout: 20_000 });
    expect(res?.status()).toBe(200);
    await page.waitForFunction('document.getElementById("title").textContent !== "loading"', undefined, { timeout: 10_000 });
    expect(await page.textContent("#title")).toBe("200 echo: ping from the page");
    expect(await page.evaluate('getComputedStyle(document.getElementById("title")).color')).toBe("rgb(1, 2, 3)");
    expect(await page.evaluate('document.getElementById("pic").naturalWidth')).toBe(1);
    const protocols = await page.evaluate<string[]>(`[
      performance.getEntriesByType("navigation")[0].nextHopProtocol,
      ...performance.getEntriesByType("resource").map((e) => new URL(e.name).pathname + " " + e.nextHopProtocol),
    ]`);
    expect(protocols[0]).toBe("h2");
    for (const r of ["/app.js h2", "/echo h2", "/pixel.svg h2", "/style.css h2"]) expect(protocols).toContain(r);
    expect(protocols.filter((p) => !p.endsWith("h2"))).toEqual([]); // the favicon's request too
    expect(seenProto.length).toBeGreaterThanOrEqual(5);
    expect(seenProto.filter((p) => p !== "https")).toEqual([]);

    const h2 = async (name: string) => metric(await n.metrics(), `fulcrum_listener_h2_${name}_total{listener="site"}`);
    const [streams, connections] = [await h2("streams"), await h2("connections")];
    const echoed = await page.evaluate<string>(`new Promise((resolve, reject) => {
      const ws = new WebSocket("wss://" + location.host + "/ws");
      ws.onopen = () => ws.send("over h2");
      ws.onmessage = (e) => { resolve(e.data); ws.close(); };
      ws.onerror = () => reject(new Error("websocket failed"));
    })`);
    expect(echoed).toBe("echo:over h2");
    expect(await h2("streams")).toBe(streams + 1);
    expect(await h2("connections")).toBe(connections);
  } finally {
    await context.close();
  }
}, 60_000);
