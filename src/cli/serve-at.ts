/**
 * The admin API's and the probe listener's HTTP servers. They bind with reusePort so that a node
 * upgrading this one can bind the same address before this one lets go (an upgrade never leaves
 * the admin port closed); a fresh bind therefore first checks, without reusePort, that nobody
 * holds the address, as a plain bind would.
 */
import { LbError } from "../errors.ts";

export type Server = ReturnType<typeof Bun.serve>;

/** Serves `fetch` on host:port; `takenOver`: the address is the upgraded node's, shared on purpose (no check). */
export function serveAt(host: string, port: number, fetch: (req: Request) => Response | Promise<Response>, takenOver: boolean): Server {
  if (!takenOver && port !== 0) {
    try {
      Bun.listen({ hostname: host, port, socket: { data() {} } }).stop(true);
    } catch (e) {
      throw new LbError("INVALID_ARGUMENT", `cannot listen on ${host.includes(":") ? `[${host}]` : host}:${port}: the address is in use or not on this machine (${(e as { code?: string }).code ?? (e as Error).message})`, { cause: e });
    }
  }
  return Bun.serve({ hostname: host, port, reusePort: true, fetch } as Parameters<typeof Bun.serve>[0]);
}
