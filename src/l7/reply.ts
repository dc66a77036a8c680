/** Responses the proxy writes itself: error replies and hook replies. */
import type { LbError } from "../errors.ts";
import { reasonPhrase, type HttpParseError } from "../http/index.ts";
import type { ProxyReply } from "./hooks.ts";

/** The reply for an LbError: its status, `x-fulcrum-error: CODE`, and "CODE[: reason]\n" as the body. */
export function errorReply(err: LbError): ProxyReply {
  const reason = (err as HttpParseError).reason;
  return { status: err.status, errorCode: err.code, body: reason ? `${err.code}: ${reason}\n` : `${err.code}\n` };
}

/** Serialises a reply; `close` adds `connection: close`. HEAD replies carry no body bytes. */
export function encodeReply(reply: ProxyReply, close: boolean, head = false): Buffer {
  const body = reply.body === undefined ? Buffer.alloc(0) : typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
  let s = `HTTP/1.1 ${reply.status} ${reasonPhrase(reply.status)}\r\n`;
  if (reply.errorCode !== undefined) s += `x-fulcrum-error: ${reply.errorCode}\r\n`;
  let typed = false;
  for (const [k, v] of Object.entries(reply.fields ?? {})) {
    if (/[\r\n]/.test(k + v)) continue; // never let a hook split the response
    typed ||= k.toLowerCase() === "content-type";
    s += `${k}: ${v}\r\n`;
  }
  if (!typed && body.length > 0) s += "content-type: text/plain; charset=utf-8\r\n";
  s += `content-length: ${body.length}\r\n`;
  if (close) s += "connection: close\r\n";
  s += "\r\n";
  const headBuf = Buffer.from(s, "latin1");
  return head || body.length === 0 ? headBuf : Buffer.concat([headBuf, body]);
}
