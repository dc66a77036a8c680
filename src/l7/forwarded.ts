/**
 * The fields the proxy adds upstream to say who the client is (X-Forwarded-For/Proto/Host and
 * RFC 7239 Forwarded) and to tie logs together (X-Request-Id), plus which received fields must
 * not be forwarded.
 */
import { BodyKind, H, HOP_BY_HOP, emitRequestStart, type ByteSink, type RequestHead } from "../http/index.ts";
import { DROPPED_MASK, markDropped } from "./field-drop.ts";
import type { ProxyCtx } from "./hooks.ts";
import { emitH1Head, h1HeadBytes } from "./h1-upstream-head.ts";
import { emitH2Head, h2HeadBytes } from "./h2-upstream-head.ts";
import { MAX_ARENA_HEAD, type HeadTail } from "./head-arena.ts";
import { REQUEST_ID_LENGTH, formatInto, formatString, type RequestIdParts } from "./request-id.ts";

const XFF = 1 << H.X_FORWARDED_FOR;
const XFP = 1 << H.X_FORWARDED_PROTO;
const XFH = 1 << H.X_FORWARDED_HOST;
const FWD = 1 << H.FORWARDED;
const XFCC = 1 << H.X_FORWARDED_CLIENT_CERT;
const CL = 1 << H.CONTENT_LENGTH;
const HOST = 1 << H.HOST;

/**
 * Ids of received fields not to forward: hop-by-hop ones (an allowed upgrade is re-sent by
 * forwardingFields), X-Forwarded-For (re-sent merged), from an untrusted client
 * X-Forwarded-Proto/Host, Forwarded (replaced by ours) and X-Forwarded-Client-Cert (the hooks add
 * ours for a verified client certificate), and Content-Length lines that are not one canonical
 * line (re-sent as one).
 */
export function requestDropMask(req: RequestHead, trust: boolean): number {
  let mask = HOP_BY_HOP | XFF;
  if (!trust) mask |= XFP | XFH | FWD | XFCC;
  if (req.lengthRewrite) mask |= CL;
  return mask;
}

/**
 * Field lines to append upstream. From a trusted client, the incoming X-Forwarded-For chain is
 * kept and the client address appended, and its Proto/Host/Forwarded are kept (our Forwarded
 * element is added as a further line); otherwise ours replace them. `identity` is the
 * per-connection prefix from identityFields.
 */
export function forwardingFields(
  req: RequestHead, identity: string, client: string, trust: boolean, generatedId: string | null, upgrade: string | null = null,
): string {
  let s: string;
  if (!trust) s = identity;
  else {
    const xff = req.has(H.X_FORWARDED_FOR) ? `${req.getAll("x-forwarded-for").join(", ")}, ${client}` : client;
    const lines = identity.split("\r\n"); // [xff, xfp, forwarded, ""]
    s = `x-forwarded-for: ${xff}\r\n`;
    if (!req.has(H.X_FORWARDED_PROTO)) s += `${lines[1]}\r\n`;
    s += `${lines[2]}\r\n`;
  }
  if ((!trust || !req.has(H.X_FORWARDED_HOST)) && req.hostStart >= 0) s += `x-forwarded-host: ${req.host}\r\n`;
  if (generatedId !== null) s += `x-request-id: ${generatedId}\r\n`;
  if (upgrade !== null) s += `upgrade: ${upgrade}\r\nconnection: upgrade\r\n`;
  // WebSocket over HTTP/2 has no key (RFC 8441 §5); the HTTP/1.1 handshake needs one (RFC 6455 §4.1)
  if (upgrade !== null && req.protocol !== "" && req.indexOf("sec-websocket-key") < 0) {
    s += `sec-websocket-key: ${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64")}\r\n`;
  }
  return s;
}

/** The per-connection part of forwardingFields: who the client is and the listener's scheme. */
export function identityFields(client: string, proto: string): string {
  // RFC 7239 §6: an IPv6 node is quoted and bracketed
  const node = client.includes(":") ? `"[${client}]"` : client;
  return `x-forwarded-for: ${client}\r\nx-forwarded-proto: ${proto}\r\nforwarded: for=${node};proto=${proto}\r\n`;
}

/** emitUpstreamHead's argument for the one-pass heads, reused (single-threaded: nothing keeps it). */
const TAIL: HeadTail = { identity: "", generatedId: null, added: "", host: null, address: "", target: null };

/**
 * Writes the request head for the backend at `address` into `sink`. In the common shapes (a client
 * that is not a trusted proxy, no upgrade offer) the head is assembled whole in a shared arena and
 * written as one range: an HTTP/1.1 request's from runs of the received bytes (h1-upstream-head.ts),
 * an HTTP/2 request's from its field list (h2-upstream-head.ts). The rest go piece by piece
 * (emitUpstreamHeadPieces). `generatedId` is
 * the id the engine made (null when the request had one): it is formatted into `idBuf`, which the
 * sink keeps by reference until written, so the caller must not reuse `idBuf` while the sink may
 * still hold it. `upgrade` is the Upgrade value to offer (see upgradeOffer), null for none.
 */
export function emitUpstreamHead(
  ctx: ProxyCtx<unknown>, identity: string, address: string, generatedId: Readonly<RequestIdParts> | null, idBuf: Buffer,
  upgrade: string | null, sink: ByteSink,
): void {
  const req = ctx.req, host = ctx.upstreamHost, dropMask = dropMaskOf(ctx);
  if (!ctx.trustForwarded && upgrade === null) {
    // the common shape: the whole head in one pass (h1-upstream-head.ts, h2-upstream-head.ts)
    const tail = TAIL;
    tail.identity = identity;
    tail.generatedId = generatedId;
    tail.added = ctx.addRequestFields;
    tail.host = host;
    tail.address = address;
    tail.target = ctx.upstreamTarget;
    if (!req.framed) {
      const target = ctx.upstreamTarget ?? req.target, bytes = h2HeadBytes(req, dropMask, target, tail);
      if (bytes <= MAX_ARENA_HEAD) return emitH2Head(req, dropMask, target, tail, bytes, sink);
    } else {
      const bytes = h1HeadBytes(req, tail);
      if (bytes <= MAX_ARENA_HEAD) return void emitH1Head(req, dropMask, tail, bytes, sink);
    }
  }
  emitPieces(ctx, dropMask, identity, address, generatedId, idBuf, upgrade, sink);
}

/** emitUpstreamHead always piece by piece: the rare shapes' path, and what the one-pass heads are tested against. */
export function emitUpstreamHeadPieces(
  ctx: ProxyCtx<unknown>, identity: string, address: string, generatedId: Readonly<RequestIdParts> | null, idBuf: Buffer,
  upgrade: string | null, sink: ByteSink,
): void {
  emitPieces(ctx, dropMaskOf(ctx), identity, address, generatedId, idBuf, upgrade, sink);
}

/** Marks the hooks' dropped fields and returns the mask of field ids the upstream head leaves out. */
function dropMaskOf(ctx: ProxyCtx<unknown>): number {
  markDropped(ctx.req, ctx.dropRequestFields);
  return requestDropMask(ctx.req, ctx.trustForwarded) | DROPPED_MASK | (ctx.upstreamHost === null ? 0 : HOST);
}

function emitPieces(
  ctx: ProxyCtx<unknown>, dropMask: number, identity: string, address: string, generatedId: Readonly<RequestIdParts> | null,
  idBuf: Buffer, upgrade: string | null, sink: ByteSink,
): void {
  const req = ctx.req, host = ctx.upstreamHost;
  emitRequestStart(req, dropMask, ctx.upstreamTarget, sink);
  if (ctx.trustForwarded || upgrade !== null) {
    // the rare shapes: build the lines as a string
    const id = generatedId === null ? null : formatString(generatedId);
    sink.writeString(forwardingFields(req, identity, ctx.clientAddress, ctx.trustForwarded, id, upgrade));
  } else {
    sink.writeString(identity);
    if (req.hostStart >= 0) {
      sink.writeString("x-forwarded-host: ");
      sink.write(req.buf, req.hostStart, req.hostEnd);
      sink.writeString("\r\n");
    }
    if (generatedId !== null) {
      sink.writeString("x-request-id: ");
      formatInto(generatedId, idBuf);
      sink.write(idBuf, 0, REQUEST_ID_LENGTH);
      sink.writeString("\r\n");
    }
  }
  if (ctx.addRequestFields.length > 0) sink.writeString(ctx.addRequestFields);
  if (req.bodyKind === BodyKind.Chunked) sink.writeString("transfer-encoding: chunked\r\n");
  else if (req.lengthRewrite) sink.writeString(`content-length: ${req.contentLength}\r\n`);
  if (host !== null) {
    sink.writeString("host: ");
    sink.writeString(host);
    sink.writeString("\r\n");
  } else if (!req.has(H.HOST)) {
    // A HTTP/1.0 request without Host: 1.1 needs one, the absolute-form target's authority if it had one.
    sink.writeString("host: ");
    sink.writeString(req.hostStart < 0 ? address : req.host);
    sink.writeString("\r\n");
  }
  sink.writeString("\r\n");
}
