/**
 * The etcd members a client may talk to, and which one it talks to now. A failure on the current
 * member moves every caller to the next one (round robin); listeners hear which member was left, so
 * a watch stream open on it can move too.
 */
import { LbError } from "../../errors.ts";

export class Endpoints {
  readonly all: readonly string[];
  private index = 0;
  private readonly listeners = new Set<(left: string) => void>();

  /** Throws INVALID_ARGUMENT for an empty list or a URL that is not http(s). */
  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new LbError("INVALID_ARGUMENT", "cluster: no etcd endpoint given");
    this.all = urls.map(normalize);
    this.index = Math.floor(Math.random() * this.all.length);
  }

  /** The member calls go to now. */
  current(): string {
    return this.all[this.index]!;
  }

  /**
   * Leaves `failed` for the next member, unless another caller already did (then nothing changes,
   * so concurrent failures move the client one step, not several).
   */
  rotate(failed: string): string {
    if (this.all[this.index] === failed) {
      this.index = (this.index + 1) % this.all.length;
      for (const l of this.listeners) l(failed);
    }
    return this.current();
  }

  /** Calls `fn(left)` whenever the client leaves a member; returns the unsubscribe function. */
  onLeave(fn: (left: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

function normalize(url: string): string {
  const u = url.trim().replace(/\/+$/, "");
  let parsed: URL;
  try {
    parsed = new URL(u);
  } catch {
    throw new LbError("INVALID_ARGUMENT", `cluster: ${JSON.stringify(url)} is not an etcd URL (http://host:port)`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new LbError("INVALID_ARGUMENT", `cluster: ${JSON.stringify(url)} is not an etcd URL (http://host:port)`);
  }
  return u;
}
