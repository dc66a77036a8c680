/**
 * Who may connect to a listener or be served by a route: `allow` and `deny` CIDR lists, compiled
 * once into the snapshot. Deny wins; with an allow list, every address it does not hold is
 * denied (nginx's `allow`/`deny` with a final `deny all`, HAProxy's `src` ACLs). Addresses are
 * compared in CidrList's 16-byte form, so "127.0.0.2", "::ffff:127.0.0.2" and a v4 block agree.
 */
import { CidrList } from "./cidr.ts";
import { parseIp } from "./ip.ts";

export class AccessList {
  readonly allow: CidrList | undefined;
  readonly deny: CidrList;
  // The requests of one keep-alive connection ask about the same address: answer it from here.
  private lastIp = "";
  private lastAllowed = false;

  /** Throws LbError CONFIG_INVALID naming the first bad entry (validation catches it first). */
  constructor(allow: readonly string[] | undefined, deny: readonly string[] = []) {
    this.allow = allow === undefined ? undefined : new CidrList(allow);
    this.deny = new CidrList(deny);
  }

  /** True when `ip` (IPv4 or IPv6 text) may pass; an address that does not parse never does. */
  allows(ip: string): boolean {
    if (ip === this.lastIp) return this.lastAllowed;
    const bytes = parseIp(ip);
    const ok = bytes !== undefined && !this.deny.containsBytes(bytes) && (this.allow === undefined || this.allow.containsBytes(bytes));
    this.lastIp = ip;
    this.lastAllowed = ok;
    return ok;
  }

  /** What JSON shows of it (status, diffs): the lists as configured. */
  toJSON(): { allow?: string[]; deny: string[] } {
    return { ...(this.allow ? { allow: this.allow.texts } : {}), deny: this.deny.texts };
  }
}
