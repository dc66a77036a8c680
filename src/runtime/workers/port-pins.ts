/**
 * Control part: the ports of a node's port-0 listeners. The first worker that binds such a
 * listener picks the port; every other worker, and one restarted later, is told to bind the same.
 * A pin holds while the listener keeps its configured address and port 0; a node that upgrades
 * another is seeded with the ports the old one held.
 */
import type { Snapshot, SnapshotListener } from "../../config/index.ts";

export class PortPins {
  /** name → { address as configured, port }. */
  readonly #pins = new Map<string, { address: string; port: number }>();
  /** The configured address of each listener in the last revision handed out. */
  readonly #addresses = new Map<string, string>();

  /** The port the workers bound for port-0 listener `name`, once one of them has. */
  port(name: string): number | undefined {
    return this.#pins.get(name)?.port;
  }

  /** Pins `name` (configured as `address`) to `port`: every worker binds it. */
  pin(name: string, address: string, port: number): void {
    this.#pins.set(name, { address, port });
    this.#addresses.set(name, address);
  }

  /**
   * Takes the revision about to be handed out: pins of listeners no longer port-0, or moved, are
   * dropped. Returns the port-0 listeners without a pin (a worker must pick their port first).
   */
  reconcile(snap: Snapshot): SnapshotListener[] {
    for (const l of snap.listeners) this.#addresses.set(l.name, l.address);
    for (const name of this.#pins.keys()) if (!snap.listeners.some((l) => l.name === name && l.port === 0)) this.#pins.delete(name);
    const unpinned = snap.listeners.filter((l) => l.port === 0 && this.#pins.get(l.name)?.address !== l.address);
    for (const l of unpinned) this.#pins.delete(l.name);
    return unpinned;
  }

  /** Pins the ports a worker reports it bound, where none is pinned yet. */
  learn(ports: Record<string, number>): void {
    for (const [name, port] of Object.entries(ports)) {
      if (!this.#pins.has(name)) this.#pins.set(name, { address: this.#addresses.get(name) ?? "", port });
    }
  }

  /** Ports of port-0 listeners as the workers must bind them. */
  ports(): Record<string, number> {
    return Object.fromEntries([...this.#pins].map(([name, p]) => [name, p.port]));
  }
}
