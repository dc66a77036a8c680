/**
 * Listeners bind with reusePort (so a successor can take over a port, listener-set.ts), which
 * would let another process of the same user share a port silently where a plain bind fails. So
 * a fresh bind first probes its address without reusePort: a port anyone holds, a reusePort
 * holder included, fails the probe with EADDRINUSE as a plain bind would.
 */
import dgram from "node:dgram";
import type { SnapshotListener } from "../../config/index.ts";

/** Resolves when `l`'s address is free to bind; throws the bind error otherwise. Port 0 is always free. */
export async function probeAddress(l: SnapshotListener): Promise<void> {
  if (l.port === 0) return;
  if (l.protocol !== "udp") {
    Bun.listen({ hostname: l.host, port: l.port, socket: { data() {} } }).stop(true);
    return;
  }
  const s = dgram.createSocket({ type: l.host.includes(":") ? "udp6" : "udp4" });
  try {
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind(l.port, l.host, () => resolve());
    });
  } finally {
    s.close();
  }
}
