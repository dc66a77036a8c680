/**
 * The dashboard in real headless Chromium against a real node with real backends: it loads with no
 * console errors and no request off the node, shows every listener, pool and backend of the
 * config, charts req/s under load, turns a killed backend red within the health interval plus 2 s,
 * drains a backend (a conditional PATCH that shows up in /v1/pools and the revision list), and
 * says clearly when the token is wrong, and links to the admin API's description (fetched with the
 * token). One browser for the file, a fresh context per test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { killAll } from "../../helpers/process.ts";
import { removeTempDirs, until } from "../../integration/helpers/l7-node.ts";
import { launch, open, type Watched } from "./helpers/browser.ts";
import { HEALTH_INTERVAL_MS, startDashboardNode, TOKEN, type DashboardNode } from "./helpers/node.ts";

let browser: Browser;
let n: DashboardNode;
/** The one tab the tests share (a renderer costs seconds on a busy machine); the first test gives it the token. */
let main: Watched;

beforeAll(async () => {
  [browser, n] = await Promise.all([launch(), startDashboardNode()]);
  main = await open(browser, n.url);
});

afterAll(async () => {
  await browser?.close();
  await killAll();
  n?.stop();
  removeTempDirs();
});

/** Sends about `rps` requests a second through listener `port` for `ms`, a few at a time. */
async function lightLoad(port: number, rps: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let sent = 0;
  while (Date.now() < end) {
    const started = Date.now();
    await Promise.all(Array.from({ length: 5 }, () =>
      fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then((r) => r.arrayBuffer(), () => undefined)));
    sent += 5;
    await Bun.sleep(Math.max(0, (5000 / rps) - (Date.now() - started)));
  }
  return sent;
}

describe("dashboard in Chromium", () => {
  test("a wrong token shows a clear message; the right one opens the page", async () => {
    const { page: p, errors } = main;
    await p.goto(`${n.url}/ui/`);
    const dialog = p.locator("#token-dialog");
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain("needs its admin token");
    await p.fill("#token-input", "not-the-token");
    await p.click("#token-submit");
    await p.locator("#token-error", { hasText: "Wrong token" }).waitFor();
    expect(await p.locator("#token-error").innerText()).toContain("401");
    expect(await p.locator('[data-listener="web"]').count()).toBe(0);
    await p.fill("#token-input", TOKEN);
    await p.click("#token-submit");
    await p.locator('[data-listener="web"]').waitFor();
    expect(await dialog.isVisible()).toBe(false);
    // The browser logs each 401 it got; nothing else may go wrong.
    expect(errors.filter((e) => !e.includes("401"))).toEqual([]);
    errors.length = 0;
  });

  test("loads from / with no console errors, without asking again, and shows every listener, pool, backend, route and the revision", async () => {
    const { page: p, errors, external } = main;
    // The same tab: the token is in its sessionStorage, so the page does not ask again.
    await p.goto(`${n.url}/`);
    expect(p.url()).toBe(`${n.url}/ui/`);
    const web = p.locator('[data-listener="web"]');
    await web.waitFor();
    expect(await web.innerText()).toContain("http");
    expect(await web.innerText()).toContain(`127.0.0.1:${await n.port("web")}`);
    expect(await p.locator('[data-listener="raw"]').innerText()).toContain("tcp");
    expect(await p.locator("#token-dialog").isVisible()).toBe(false);
    await p.locator('[data-chart="listener/web/rps"] canvas').waitFor();

    await p.click('nav a[data-tab="pools"]');
    for (const [pool, backends] of [["app", [n.a, n.b, n.c]], ["hash", [n.a, n.b]]] as const) {
      await p.locator(`[data-pool="${pool}"]`).waitFor();
      for (const b of backends) await p.locator(`[data-backend="${pool}/${b.address}"]`).waitFor();
    }
    await p.locator('[data-pool="app"] tr[data-health="healthy"]').nth(2).waitFor();
    const table = await n.admin("/v1/pools/hash/table");
    expect(await p.locator('[data-pool="hash"] .digest').innerText()).toBe(table.digest.slice("sha256:".length, "sha256:".length + 12));
    expect(await p.locator('[data-pool="hash"] .share > div').count()).toBe(2);

    await p.click('nav a[data-tab="routes"]');
    await p.locator('[data-route="web/api"]').waitFor();
    const order = await p.locator("#view-routes tr[data-route]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-route")));
    expect(order).toEqual(["web/api", "web/site"]);
    expect(await p.locator('[data-route="web/api"]').innerText()).toContain("pool hash");

    await p.click('nav a[data-tab="changes"]');
    await p.locator('.revision.current[data-revision="1"]').waitFor();
    expect(await p.locator('.revision[data-revision="1"]').innerText()).toContain("pool app added");
    expect(errors).toEqual([]);
    expect(external).toEqual([]);
  });

  test("req/s under a light load appears in the overview and pool charts", async () => {
    const { page: p, errors } = main;
    await p.click('nav a[data-tab="overview"]');
    await p.locator('[data-chart="listener/web/rps"] canvas').waitFor();
    const sent = await lightLoad(await n.port("web"), 100, 3500);
    expect(sent).toBeGreaterThan(100);
    // The chart's newest samples (and its head) show the load: tens of requests a second.
    await until(async () => Number(await p.locator('[data-chart="listener/web/rps"]').getAttribute("data-max")) > 20, 8000);
    const head = await p.locator('[data-listener="web"] .stat').nth(1).innerText();
    expect(head).toContain("REQ/S");
    await p.click('nav a[data-tab="pools"]');
    await until(async () => Number(await p.locator('[data-chart="pool/app/rps"]').getAttribute("data-max")) > 3, 8000);
    expect(errors).toEqual([]);
  });

  test("draining a backend from the page is a conditional PATCH that /v1/pools and the revision list show", async () => {
    const { page: p, errors } = main;
    const patches: { ifMatch: string | undefined; body: string | null }[] = [];
    p.on("request", (r) => {
      if (r.method() === "PATCH") patches.push({ ifMatch: r.headers()["if-match"], body: r.postData() });
    });
    await p.click('nav a[data-tab="pools"]');
    const row = p.locator(`[data-backend="app/${n.a.address}"]`);
    await row.locator('button[data-action="drain"]').click();
    const confirm = p.locator("#confirm-dialog");
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain(n.a.address);
    await p.click("#confirm-ok");
    await p.locator(`[data-backend="app/${n.a.address}"][data-state="draining"]`).waitFor();
    expect(patches).toEqual([{ ifMatch: '"1"', body: '{"state":"draining"}' }]);
    const pool = await n.admin("/v1/pools/app");
    const backends = (pool.pool ?? pool).backends;
    expect(backends.find((b: any) => b.address === n.a.address).state).toBe("draining");
    const revisions = (await n.admin("/v1/revisions")).revisions;
    expect(revisions[0].revision).toBe(2);
    expect(revisions[0].summary).toContain("draining");
    await p.click('nav a[data-tab="changes"]');
    const current = p.locator('.revision.current[data-revision="2"]');
    await current.waitFor();
    expect(await current.innerText()).toContain("state active -> draining");
    expect(errors).toEqual([]);
  });

  test("a killed backend turns red within the health interval plus 2 s", async () => {
    const { page: p, errors } = main;
    await p.click('nav a[data-tab="pools"]');
    const row = p.locator(`[data-backend="app/${n.c.address}"]`);
    await p.locator(`[data-backend="app/${n.c.address}"][data-health="healthy"]`).waitFor();
    const killed = Date.now();
    n.c.stop();
    await p.locator(`[data-backend="app/${n.c.address}"][data-health="unhealthy"]`).waitFor({ timeout: HEALTH_INTERVAL_MS + 2000 });
    expect(Date.now() - killed).toBeLessThanOrEqual(HEALTH_INTERVAL_MS + 2000);
    expect(await row.getAttribute("class")).toContain("down");
    const color = await row.locator(".pill.unhealthy").evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
    const [r, g, b] = color.match(/\d+/g)!.map(Number);
    expect(r).toBeGreaterThan(150);
    expect(r).toBeGreaterThan(2 * g!);
    expect(r).toBeGreaterThan(2 * b!);
    // The tab switch is a hash change, handled after the click returns: wait for the overview to
    // draw, rather than reading the one it drew before the backend died.
    await p.click('nav a[data-tab="overview"]');
    await p.locator("#backends-at-a-glance", { hasText: `app/${n.c.address}` }).waitFor({ timeout: 5000 });
    expect(errors).toEqual([]);
  });

  test("the footer's link saves the admin API's description, read with the tab's token", async () => {
    const { page: p, errors } = main;
    const link = p.locator("#api-description");
    expect(await link.getAttribute("href")).toBe("../v1/openapi.json");
    const [download] = await Promise.all([p.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("fulcrum-openapi.json");
    const doc = JSON.parse(await readFile((await download.path())!, "utf8"));
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/v1/pools/{pool}/backends/{address}");
    expect(errors).toEqual([]);
  });
});
