/**
 * `npm run screenshot`: regenerates docs/dashboard.png (Overview, light) and
 * docs/dashboard-pools.png (Pools, dark) from a real node under load: the dashboard test's node
 * (three backends with a few milliseconds of work and an occasional 503), a varying load of about
 * 150 req/s for 40 s, and one backend killed along the way so the page shows what down looks like.
 * Takes about a minute; everything it starts is stopped at the end, also on failure.
 */
import { join } from "node:path";
import { killAll } from "../../helpers/process.ts";
import { removeTempDirs } from "../../integration/helpers/l7-node.ts";
import { launch, open } from "./helpers/browser.ts";
import { startDashboardNode, TOKEN } from "./helpers/node.ts";

const DOCS = join(import.meta.dir, "..", "..", "..", "docs");
const LOAD_MS = Number(process.env.SCREENSHOT_LOAD_MS ?? 40_000);

/** A backend doing a little work: 1–6 ms (now and then 40 ms), and b answers 2% of requests 503. */
async function work(_req: Request, b: { name: string }): Promise<Response> {
  const slow = Math.random() < 0.01;
  await Bun.sleep(slow ? 40 : 1 + Math.random() * 5);
  if (b.name === "b" && Math.random() < 0.02) return new Response("busy", { status: 503 });
  return new Response(`hello from ${b.name}`);
}

/**
 * Requests through `port` at a rate that wanders between about 80 and 220 a second until `done()`
 * says stop; `onHalfway` runs once 70% of `ms` has passed.
 */
async function load(port: number, ms: number, onHalfway: () => void, done: () => boolean): Promise<void> {
  const start = Date.now();
  let halfway = false;
  const paths = ["/", "/", "/api/items", "/api/items/7", "/"];
  for (let i = 0; !done(); i++) {
    const t = (Date.now() - start) / 1000;
    const rps = 150 + 60 * Math.sin(t / 5) + 10 * Math.sin(t * 1.7);
    const batch = 10;
    await Promise.all(Array.from({ length: batch }, (_, k) =>
      fetch(`http://127.0.0.1:${port}${paths[(i + k) % paths.length]}`, { signal: AbortSignal.timeout(2000) }).then((r) => r.arrayBuffer(), () => undefined)));
    await Bun.sleep(Math.max(0, (1000 * batch) / rps - 5));
    if (!halfway && Date.now() - start > ms * 0.7) {
      halfway = true;
      onHalfway();
    }
  }
}

const n = await startDashboardNode(work);
const browser = await launch();
let finished = false;
const loading = load(await n.port("web"), LOAD_MS, () => n.c.stop(), () => finished);
const raw: { end(): void; write(s: string): number }[] = [];
// A few connections through the tcp listener in the second half; its backends are HTTP servers,
// which close a silent connection, so each sends a request now and then.
const keepAlive = setInterval(() => raw.forEach((s) => s.write("GET / HTTP/1.1\r\nHost: raw\r\n\r\n")), 2000);
try {
  await Bun.sleep(LOAD_MS / 2);
  for (let i = 0; i < 3; i++) raw.push(await Bun.connect({ hostname: "127.0.0.1", port: await n.port("raw"), socket: { data() {} } }));
  await Bun.sleep(LOAD_MS / 2);
  const light = await open(browser, n.url, { token: TOKEN, width: 1400 });
  await light.page.goto(`${n.url}/ui/`);
  await light.page.locator('[data-chart="listener/web/rps"] canvas').waitFor();
  await Bun.sleep(1500);
  await light.page.screenshot({ path: join(DOCS, "dashboard.png"), fullPage: true });
  const dark = await open(browser, n.url, { token: TOKEN, colorScheme: "dark", width: 1400 });
  await dark.page.goto(`${n.url}/ui/#pools`);
  await dark.page.locator('[data-pool="hash"] .digest').waitFor();
  await Bun.sleep(1500);
  await dark.page.screenshot({ path: join(DOCS, "dashboard-pools.png"), fullPage: true });
  const errors = [...light.errors, ...dark.errors];
  if (errors.length > 0) throw new Error(`the page logged errors: ${errors.join("; ")}`);
  console.log(`screenshot: wrote ${join(DOCS, "dashboard.png")} and dashboard-pools.png`);
} finally {
  finished = true;
  clearInterval(keepAlive);
  await loading;
  for (const s of raw) s.end();
  await browser.close();
  await killAll();
  n.stop();
  removeTempDirs();
}
