/**
 * Headless Chromium for the dashboard tests: Debian's /usr/bin/chromium driven by playwright-core
 * (which never downloads a browser of its own), one browser per test file, a fresh context (so a
 * fresh sessionStorage) per page, and every console error, page error and request that leaves the
 * node collected so a test can assert there were none.
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.FULCRUM_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Quiet, offline, throwaway: no GPU, no background updates or sync; launch() gives each browser a
 * fresh temporary profile (its own --user-data-dir), removed on close.
 */
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

export async function launch(): Promise<Browser> {
  return await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
}

/** A page and what it has logged so far. */
export interface Watched {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions, as text. */
  errors: string[];
  /** Requests to any origin but `origin`. */
  external: string[];
}

/**
 * A new context and page on `origin`; with `token`, the tab starts with it in sessionStorage (as if
 * the operator had entered it), so no 401 is ever logged.
 */
export async function open(browser: Browser, origin: string, opts: { token?: string; colorScheme?: "light" | "dark"; width?: number } = {}): Promise<Watched> {
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1400, height: 1000 }, colorScheme: opts.colorScheme ?? "light" });
  if (opts.token) {
    await context.addInitScript((t) => sessionStorage.setItem("fulcrum.admin-token", t), opts.token);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  const external: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("request", (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith("data:")) external.push(r.url());
  });
  page.setDefaultTimeout(10_000);
  return { context, page, errors, external };
}
