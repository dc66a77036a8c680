/**
 * The client behind trusted proxies, for route access lists: X-Forwarded-For read from the right,
 * skipping the hops in `trusted_proxies`, as nginx's realip with `real_ip_recursive on` and
 * HAProxy's `option forwardfor` chains do. Only asked for a request whose peer is trusted and
 * whose route has an access list, so it costs the plain path nothing.
 */
import type { RequestHead } from "../../l7/index.ts";
import { ipFamily, type CidrList } from "../../net/index.ts";

/**
 * The first address from the right of the X-Forwarded-For chain (its lines in order) that is not
 * a trusted proxy; the leftmost when every one is. A hop that is not an IP address ends the walk
 * at the last address vouched for (the peer when the last hop is junk): what lies to its left
 * came through something that cannot be believed.
 */
export function forwardedClient(req: RequestHead, peer: string, trusted: CidrList): string {
  const lines = req.getAll("x-forwarded-for");
  if (lines.length === 0) return peer;
  const hops = lines.join(",").split(",");
  let client = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!.trim();
    if (ipFamily(hop) === 0) return client;
    client = hop;
    if (!trusted.contains(hop)) return hop;
  }
  return client;
}
