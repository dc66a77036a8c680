/**
 * `max_connections_per_client` for every listener of the node: one ClientConnTable per listener
 * name, kept across rebinds (a client's connections on a retiring binding still count against
 * the successor's), and the hold each counted connection keeps until it ends. A table is sized
 * for the clients its listener can have at once (`max_connections`, or a udp listener's flow
 * cap), so for listeners with a cap it cannot fill; http(s) listeners have none and get room for
 * 65,536 clients, past which new clients are admitted untracked (client-table.ts says why).
 * In a worker of a node of several, the counts are the node's (ClientCounts in the memory the
 * workers share, one scope per listener name): a client limited to 2 connections gets 2 from
 * the node, wherever the kernel sends each one.
 */
import { ClientAdmit, ClientConnTable, clientTableCapacity } from "../../limits/index.ts";
import { parseIp } from "../../net/index.ts";
import { scopeOf, type ClientCounts } from "../shared/index.ts";

/** Clients an http(s) listener's table has room for (it has no connection cap to size it by). */
export const L7_TRACKED_CLIENTS = 65_536;

/** One connection's place in its client's count; `release` gives it back (once). */
export class ClientHold {
  #table: ClientConnTable | undefined;

  constructor(table: ClientConnTable | undefined, readonly key: Uint8Array) {
    this.#table = table;
  }

  release(): void {
    this.#table?.release(this.key);
    this.#table = undefined;
  }
}

/** A connection counted in the node's shared counts. */
class SharedHold extends ClientHold {
  #counts: ClientCounts | undefined;

  constructor(counts: ClientCounts, readonly scope: number, readonly ip: string) {
    super(undefined, NO_KEY);
    this.#counts = counts;
  }

  override release(): void {
    this.#counts?.release(this.scope, this.ip);
    this.#counts = undefined;
  }
}

const NO_KEY = new Uint8Array(0);

/** A connection counted (its hold), refused (the client is at its limit), or let through uncounted. */
export type ClientVerdict = ClientHold | "over" | "untracked";

export class ClientLimits {
  readonly #tables = new Map<string, ClientConnTable>();
  readonly #scopes = new Map<string, number>();

  /** `shared`: the node's counts (a worker of a node of several); absent, this thread's tables. */
  constructor(private readonly shared?: ClientCounts) {}

  /**
   * Counts a connection of `ip` on listener `name` against `limit`. `clients` bounds the distinct
   * clients the listener can hold at once (its table grows to fit a larger bound; connections
   * counted in the old table release into it).
   */
  acquire(name: string, clients: number, ip: string, limit: number): ClientVerdict {
    if (this.shared) return this.#acquireShared(this.shared, name, ip, limit);
    const key = parseIp(ip);
    if (key === undefined) return "untracked";
    const table = this.#table(name, clients);
    const r = table.acquire(key, limit);
    if (r === ClientAdmit.OverLimit) return "over";
    return r === ClientAdmit.Counted ? new ClientHold(table, key) : "untracked";
  }

  /**
   * Distinct clients with a counted connection on listener `name` (with shared counts: the node's,
   * whichever worker counted them); undefined when it never limited any here.
   */
  tracked(name: string): number | undefined {
    if (!this.shared) return this.#tables.get(name)?.used;
    const scope = this.#scopes.get(name);
    return scope === undefined ? undefined : this.shared.distinct(scope);
  }

  #acquireShared(counts: ClientCounts, name: string, ip: string, limit: number): ClientVerdict {
    let scope = this.#scopes.get(name);
    if (scope === undefined) this.#scopes.set(name, (scope = scopeOf(name)));
    const r = counts.acquire(scope, ip, limit);
    if (r === "at_cap") return "over";
    return r === "ok" ? new SharedHold(counts, scope, ip) : "untracked";
  }

  #table(name: string, clients: number): ClientConnTable {
    const have = this.#tables.get(name);
    const capacity = clientTableCapacity(clients);
    if (have && have.capacity >= capacity) return have;
    const t = new ClientConnTable(capacity);
    this.#tables.set(name, t);
    return t;
  }
}
