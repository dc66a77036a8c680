/**
 * The backend the exchange-reuse tests (HTTP/1.1 and HTTP/2) send to: `/late` answers after 400 ms
 * (past a short response timeout), `/early` at once without reading the body, `/stream` sends its
 * body in two parts 300 ms apart, and any other path echoes the path and the request's fields.
 * Also a port nothing listens on, for connect failures, and the small readers both tests use.
 */
import { startOrigin, type Origin } from "../../helpers/origin.ts";

export function startReuseOrigin(): Origin {
  return startOrigin({
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname === "/late") await Bun.sleep(400);
      if (url.pathname === "/early") return Response.json({ path: url.pathname, headers: {} }); // before the body
      if (url.pathname === "/stream") {
        return new Response(new ReadableStream({
          async pull(c) {
            c.enqueue(new TextEncoder().encode("first;"));
            await Bun.sleep(300);
            c.enqueue(new TextEncoder().encode("second"));
            c.close();
          },
        }));
      }
      return Response.json({ path: url.pathname + url.search, headers: Object.fromEntries(req.headers) });
    },
  });
}

/** A loopback port nothing listens on (bound, then closed). */
export function deadLoopbackPort(): number {
  const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = dead.port;
  dead.stop(true);
  return port;
}

/** What the origin's echo answer holds. */
export const echoed = (body: string) => JSON.parse(body) as { path: string; headers: Record<string, string> };

/** Waits (at most 5 s) until `logged` holds `n` entries: onLog runs after the response is sent. */
export async function logsUntil(logged: readonly unknown[], n: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (logged.length < n) {
    if (Date.now() > deadline) throw new Error(`only ${logged.length} of ${n} requests logged`);
    await Bun.sleep(5);
  }
}
