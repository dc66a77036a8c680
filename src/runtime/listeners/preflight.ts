/**
 * Before the admin API stores a config, checks that this node could bind every listener address
 * it does not already hold (like `nginx -t`): a taken port is refused with a 400 naming the
 * listener, instead of a stored revision whose listener silently fails to bind.
 */
import type { Snapshot } from "../../config/index.ts";
import { LbError } from "../../errors.ts";
import type { ListenerSet } from "./listener-set.ts";

/** `host:port` as ListenerSet.states() shows a bound address. */
function shown(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** Throws CONFIG_INVALID listing every listener address of `snap` that cannot be bound now. */
export function preflightListeners(snap: Snapshot, listeners: ListenerSet): void {
  const held = new Set(listeners.states().filter((s) => s.bound).map((s) => s.address));
  const details: { path: string; message: string }[] = [];
  snap.listeners.forEach((l, i) => {
    // Port 0 always binds; UDP has no synchronous probe (its bind failure is reported at bind).
    if (l.port === 0 || l.protocol === "udp" || held.has(shown(l.host, l.port))) return;
    try {
      Bun.listen({ hostname: l.host, port: l.port, socket: { data() {} } }).stop(true);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      const why = code === "EADDRINUSE" ? "the address is in use" : code === "EACCES" ? "no permission for this port" : "the address cannot be bound here";
      details.push({ path: `listeners[${i}].address`, message: `${why} (${l.address}${code ? `, ${code}` : ""})` });
    }
  });
  if (details.length > 0) {
    throw new LbError("CONFIG_INVALID", `invalid config: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, { details });
  }
}
