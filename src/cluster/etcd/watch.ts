/**
 * One watch stream on one member: `POST /v3/watch` and its newline-delimited JSON answer
 * (ETCD-NOTES §1.2). The fetch runs with `timeout: false` (Bun's idle timer would cut a quiet stream,
 * §1.3); a watchdog instead ends the stream when nothing, not even a progress notification, arrived
 * for `watchdogMs`. The stream ends on the first error; resuming (from where, on which member) is
 * the caller's business — see prefix-mirror.ts.
 */
import { b64, decodeWatchResponse, prefixEnd, type Json } from "./codec.ts";
import { GATEWAY_HEADERS } from "./client.ts";
import { EtcdError, fromFetchError, fromGatewayError } from "./errors.ts";
import type { WatchResponse } from "./types.ts";

export interface WatchRequest {
  key: string;
  /** Watch every key under `key`. */
  prefix?: boolean;
  /** First revision to deliver (0 = from now). */
  startRevision?: number;
  prevKv?: boolean;
}

/** Why a stream ended. */
export type WatchEnd =
  | { reason: "compacted"; compactRevision: number }
  | { reason: "canceled"; cancelReason: string }
  | { reason: "error"; error: EtcdError }
  | { reason: "silent"; silentMs: number }
  | { reason: "aborted" }
  /** onResponse threw: the stream was closed so the caller can recover before it resumes. */
  | { reason: "handler"; error: unknown };

export interface WatchStreamOptions {
  endpoint: string;
  /** Ends the stream when no message arrived for this long (3× etcd's progress-notify interval). */
  watchdogMs: number;
  signal?: AbortSignal;
  /** Called for each message in order; the next one waits until a returned promise settles. */
  onResponse: (r: WatchResponse) => void | Promise<void>;
}

function encodeCreate(req: WatchRequest): string {
  const create: Json = { key: b64(req.key), progress_notify: true };
  if (req.prefix) create.range_end = b64(prefixEnd(req.key));
  if (req.startRevision) create.start_revision = String(req.startRevision);
  if (req.prevKv) create.prev_kv = true;
  return JSON.stringify({ create_request: create });
}

/** Opens the stream and reads it until it ends; never throws (the end says why). */
export async function watchStream(req: WatchRequest, opts: WatchStreamOptions): Promise<WatchEnd> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  let last = Date.now();
  let silent = false;
  const dog = setInterval(() => {
    if (Date.now() - last > opts.watchdogMs) {
      silent = true;
      ctl.abort();
    }
  }, Math.max(50, opts.watchdogMs / 4));
  try {
    const res = await fetch(`${opts.endpoint}/v3/watch`, {
      method: "POST",
      headers: GATEWAY_HEADERS,
      body: encodeCreate(req),
      signal: ctl.signal,
      timeout: false,
    } as RequestInit);
    if (!res.ok || !res.body) {
      const body = await res.text().catch(() => "");
      return { reason: "error", error: fromGatewayError(parseOr(body), opts.endpoint, res.status) };
    }
    return await readLines(res.body, opts, () => (last = Date.now()));
  } catch (e) {
    if (opts.signal?.aborted) return { reason: "aborted" };
    if (silent) return { reason: "silent", silentMs: Date.now() - last };
    return { reason: "error", error: fromFetchError(e, opts.endpoint) };
  } finally {
    clearInterval(dog);
    opts.signal?.removeEventListener("abort", onAbort);
    ctl.abort();
  }
}

function parseOr(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return { message: text.slice(0, 200) };
  }
}

async function readLines(body: ReadableStream<Uint8Array>, opts: WatchStreamOptions, alive: () => void): Promise<WatchEnd> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { reason: "error", error: new EtcdError("transport", `${opts.endpoint}: watch stream ended`, { endpoint: opts.endpoint }) };
    alive();
    const chunk = decoder.decode(value, { stream: true });
    // Only the new chunk can hold a newline: a large message is not rescanned on every chunk.
    if (chunk.indexOf("\n") < 0) {
      buf += chunk;
      continue;
    }
    const lines = (buf + chunk).split("\n");
    buf = lines.pop()!;
    for (const raw of lines) {
      const line = raw.trim();
      if (line.length === 0) continue;
      const end = await handleLine(line, opts);
      if (end) return end;
    }
  }
}

async function handleLine(line: string, opts: WatchStreamOptions): Promise<WatchEnd | undefined> {
  const msg = parseOr(line);
  if (msg.error !== undefined) {
    const code = typeof msg.error === "object" && msg.error !== null ? (msg.error as Json).http_code : undefined;
    return { reason: "error", error: fromGatewayError(msg, opts.endpoint, Number(code ?? 503)) };
  }
  const r = decodeWatchResponse((msg.result ?? {}) as Json);
  if (r.canceled) {
    if (r.compactRevision > 0) return { reason: "compacted", compactRevision: r.compactRevision };
    return { reason: "canceled", cancelReason: r.cancelReason };
  }
  try {
    await opts.onResponse(r);
  } catch (error) {
    return { reason: "handler", error };
  }
  return undefined;
}
