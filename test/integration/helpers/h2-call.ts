/**
 * An HTTP/2 client for the L7 tests, fetch-shaped like helpers/l7-node.ts's `call`: node:http2
 * (an implementation independent of Fulcrum's codec), h2c by prior knowledge or h2 over TLS. One
 * session per origin is kept and multiplexed, as a browser does; `closeH2Sessions` ends them.
 */
import http2 from "node:http2";

const sessions = new Map<string, http2.ClientHttp2Session>();

function session(origin: string, ca?: string): http2.ClientHttp2Session {
  let s = sessions.get(origin);
  if (s && !s.closed && !s.destroyed) return s;
  s = http2.connect(origin, ca ? { ca, rejectUnauthorized: true } : {});
  s.on("error", () => sessions.delete(origin));
  s.on("close", () => sessions.delete(origin));
  s.unref();
  sessions.set(origin, s);
  return s;
}

export interface H2Init {
  method?: string;
  host?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Trailers sent after the body. */
  trailers?: Record<string, string>;
  /** TLS: the CA to verify with (the origin is then https). */
  ca?: string;
  timeoutMs?: number;
}

/** The response, fetch-like, plus what only HTTP/2 carries. */
export interface H2Response extends Response {
  readonly trailers: Record<string, string>;
}

/** One request over the session kept for 127.0.0.1:`port`; rejects on a stream error or after the timeout. */
export async function h2Call(port: number, path: string, init: H2Init = {}): Promise<H2Response> {
  const origin = `${init.ca ? "https" : "http"}://127.0.0.1:${port}`;
  const s = session(origin, init.ca);
  const headers: http2.OutgoingHttpHeaders = { ":method": init.method ?? "GET", ":path": path, ...init.headers };
  // as browsers do over HTTP/2: one Cookie field per crumb (RFC 9113 §8.2.3)
  const cookie = headers.cookie;
  if (typeof cookie === "string" && cookie.includes("; ")) headers.cookie = cookie.split("; ");
  if (init.host) headers[":authority"] = init.host;
  return await new Promise<H2Response>((resolve, reject) => {
    const st = s.request(headers, { endStream: init.body === undefined && !init.trailers, waitForTrailers: !!init.trailers });
    const timer = setTimeout(() => {
      st.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`h2Call ${path}: no response in time`));
    }, init.timeoutMs ?? 5000);
    const chunks: Buffer[] = [];
    let head: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader = {};
    const trailers: Record<string, string> = {};
    st.on("response", (h) => (head = h));
    st.on("trailers", (t) => {
      for (const [k, v] of Object.entries(t)) if (typeof v === "string") trailers[k] = v;
    });
    st.on("data", (d: Buffer) => chunks.push(d));
    st.on("wantTrailers", () => st.sendTrailers(init.trailers ?? {}));
    st.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    st.on("end", () => {
      clearTimeout(timer);
      const h = new Headers();
      for (const [k, v] of Object.entries(head)) {
        if (k.startsWith(":") || v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [String(v)]) h.append(k, x);
      }
      const status = Number(head[":status"] ?? 0);
      const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
      resolve(Object.assign(new Response(body, { status, headers: h }), { trailers }));
    });
    if (init.body !== undefined) st.end(init.body);
    else if (init.trailers) st.end();
  });
}

/** Opens (or reuses) the session to 127.0.0.1:`port` and waits until it is connected, so timings exclude its setup. */
export async function h2Connect(port: number, ca?: string): Promise<void> {
  const s = session(`${ca ? "https" : "http"}://127.0.0.1:${port}`, ca);
  if (s.connecting) await new Promise<void>((resolve, reject) => {
    s.once("connect", () => resolve());
    s.once("error", reject);
  });
}

/** Closes every kept session (afterAll). */
export function closeH2Sessions(): void {
  for (const s of sessions.values()) s.destroy();
  sessions.clear();
}
