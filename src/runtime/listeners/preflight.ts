/**
 * Before a config is stored (an admin write, `start --config`), checks that this node could bind
 * every listener address it does not already hold (like `nginx -t`): a taken port is refused with
 * a 400 naming the listener, the address and the errno, instead of a stored revision whose
 * listener fails to bind.
 */
import type { Snapshot } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import { probeAddress } from "./port-probe.ts";

/** Who holds which addresses now (a ListenerSet, or a node's workers as its control part sees them). */
export interface HeldAddresses {
  states(): readonly { address: string; bound: boolean }[];
}

/** `host:port` as ListenerSet.states() shows a bound address. */
function shown(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * Throws CONFIG_INVALID listing every listener address of `snap` that cannot be bound now, leaving
 * out those `listeners` (the running set; none at start) already holds.
 */
export async function preflightListeners(snap: Snapshot, listeners?: HeldAddresses): Promise<void> {
  const held = new Set(listeners?.states().filter((s) => s.bound).map((s) => s.address));
  const details: { path: string; message: string }[] = [];
  for (const [i, l] of snap.listeners.entries()) {
    // Port 0 always binds.
    if (l.port === 0 || held.has(shown(l.host, l.port))) continue;
    try {
      await probeAddress(l);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      const why = code === "EADDRINUSE" ? "the address is in use" : code === "EACCES" ? "no permission for this port" : "the address cannot be bound here";
      details.push({ path: `listeners[${i}].address`, message: `${why} (${l.address}${code ? `, ${code}` : ""})` });
    }
  }
  if (details.length > 0) {
    throw new LbError("CONFIG_INVALID", `invalid config: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, { details });
  }
}
