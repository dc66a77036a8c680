/**
 * Which protocol upgrades (RFC 9110 §7.8) go to a backend, and whether its 101 answers one of
 * them. A 101 turns both connections into a byte tunnel past routing, so only protocols the route
 * allows are offered (WebSocket by default) and a 101 to anything else is refused: an upgrade the
 * proxy did not forward (h2c, say) must never open a tunnel. Only requests that ask for an upgrade
 * come here, so the string work is off the common path.
 */
import { LbError } from "../errors.ts";
import type { RequestHead, ResponseHead } from "../http/index.ts";

/** The upgrades a request may ask for unless a hook says otherwise: WebSocket (RFC 6455). */
export const DEFAULT_UPGRADES: readonly string[] = Object.freeze(["websocket"]);

/**
 * The Upgrade value to send upstream: the protocols the request offers (every Upgrade line, in
 * order) that `allowed` lists, joined with ", "; null when none is, and the request then goes on
 * as a plain one. `allowed` holds lower-case protocol names, or name/version for one version.
 * HTTP/1.0 requests never upgrade (RFC 9110 §7.8).
 */
export function upgradeOffer(req: RequestHead, allowed: readonly string[]): string | null {
  if (!req.upgrade || req.versionMinor !== 1 || allowed.length === 0) return null;
  // an HTTP/2 extended CONNECT names one protocol, no Upgrade field
  if (req.protocol !== "") return allows(allowed, req.protocol.toLowerCase()) ? req.protocol : null;
  let offer = "";
  for (let i = req.indexOf("upgrade"); i >= 0; i = req.indexOf("upgrade", i + 1)) {
    for (const item of req.valueAt(i).split(",")) {
      const p = item.trim();
      if (p === "" || !allows(allowed, p.toLowerCase())) continue;
      offer += offer === "" ? p : `, ${p}`;
    }
  }
  return offer === "" ? null : offer;
}

function allows(allowed: readonly string[], protocol: string): boolean {
  const slash = protocol.indexOf("/");
  return allowed.includes(protocol) || (slash > 0 && allowed.includes(protocol.slice(0, slash)));
}

/**
 * True when the 101 `res` switches to protocols from `offer` only: it must name at least one in
 * Upgrade (RFC 9110 §15.2.2), and every protocol it names must have been offered.
 */
export function upgradeAnswered(res: ResponseHead, offer: string): boolean {
  const offered = offer.toLowerCase().split(", ").map(protocolName);
  let named = false;
  for (let i = res.indexOf("upgrade"); i >= 0; i = res.indexOf("upgrade", i + 1)) {
    for (const item of res.valueAt(i).split(",")) {
      const p = item.trim();
      if (p === "") continue;
      if (!offered.includes(protocolName(p.toLowerCase()))) return false;
      named = true;
    }
  }
  return named;
}

function protocolName(protocol: string): string {
  const slash = protocol.indexOf("/");
  return slash < 0 ? protocol : protocol.slice(0, slash);
}

/**
 * Why a tunnel-opening response must not open one (null = it may): anything but a 101 (a CONNECT
 * 2xx never gets here: CONNECT is refused), or a 101 to a protocol `offer` did not name.
 */
export function refusedSwitch(res: ResponseHead, offer: string | null): LbError | null {
  if (res.status !== 101) return new LbError("UPSTREAM_PROTOCOL", "unexpected tunnel response");
  if (offer !== null && upgradeAnswered(res, offer)) return null;
  const why = offer === null ? "no upgrade was offered" : `the offer was ${offer}`;
  return new LbError("BAD_UPGRADE", `the backend switched protocols, but ${why}`, { source: "upstream" });
}
