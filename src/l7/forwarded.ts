/**
 * The fields the proxy adds upstream to say who the client is (X-Forwarded-For/Proto/Host) and
 * to tie logs together (X-Request-Id), plus which received fields must not be forwarded.
 */
import { BodyKind, H, HOP_BY_HOP, buildRequestHead, type RequestHead } from "./http/index.ts";
import type { ProxyCtx } from "./hooks.ts";

const XFF = 1 << H.X_FORWARDED_FOR;
const XFP = 1 << H.X_FORWARDED_PROTO;
const XFH = 1 << H.X_FORWARDED_HOST;

/**
 * Ids of received fields not to forward: hop-by-hop ones (Upgrade and Connection survive as
 * "connection: upgrade" only when upgrading), X-Forwarded-For (re-sent merged), and from an
 * untrusted client X-Forwarded-Proto/Host (replaced by ours).
 */
export function requestDropMask(req: RequestHead, trust: boolean): number {
  let mask = HOP_BY_HOP | XFF;
  if (req.upgrade) mask &= ~(1 << H.UPGRADE);
  if (!trust) mask |= XFP | XFH;
  return mask;
}

/**
 * Field lines to append upstream. From a trusted client, the incoming X-Forwarded-For chain is
 * kept and the client address appended, and its Proto/Host are kept; otherwise ours replace them.
 * `generatedId` is set when the request carried no X-Request-Id.
 */
export function forwardingFields(req: RequestHead, client: string, proto: string, trust: boolean, generatedId: string | null): string {
  let xff = client;
  if (trust && req.has(H.X_FORWARDED_FOR)) xff = `${req.getAll("x-forwarded-for").join(", ")}, ${client}`;
  let s = `x-forwarded-for: ${xff}\r\n`;
  if (!trust || !req.has(H.X_FORWARDED_PROTO)) s += `x-forwarded-proto: ${proto}\r\n`;
  if ((!trust || !req.has(H.X_FORWARDED_HOST)) && req.host !== "") s += `x-forwarded-host: ${req.host}\r\n`;
  if (generatedId !== null) s += `x-request-id: ${generatedId}\r\n`;
  if (req.upgrade) s += "connection: upgrade\r\n";
  return s;
}

/** The request head for the backend at `address`: received fields minus dropped ones, plus ours and the hooks'. */
export function upstreamHead(ctx: ProxyCtx<unknown>, address: string, generatedId: string | null): Buffer {
  const req = ctx.req;
  let extra = forwardingFields(req, ctx.clientAddress, ctx.proto, ctx.trustForwarded, generatedId) + ctx.addRequestFields;
  if (req.bodyKind === BodyKind.Chunked) extra += "transfer-encoding: chunked\r\n";
  if (!req.has(H.HOST)) extra += `host: ${address}\r\n`; // an HTTP/1.0 request without Host: 1.1 needs one
  return buildRequestHead(req, requestDropMask(req, ctx.trustForwarded), extra, ctx.upstreamTarget);
}
