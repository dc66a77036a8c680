/**
 * HTTP/2 client streams whose exchange and stream both ended, kept per listener (their clocks
 * read its ServerCore) for later streams of its connections to reuse with their request head
 * (see H2ClientStream.settle): at most SPARES_MAX, so a burst leaves no lasting heap behind.
 */
import type { ServerCore } from "./server-core.ts";

const SPARES_MAX = 1024;

export class Spares<T> {
  readonly #list: T[] = [];

  take(): T | undefined {
    return this.#list.pop();
  }

  keep(x: T): void {
    if (this.#list.length < SPARES_MAX) this.#list.push(x);
  }
}

const byServer = new WeakMap<ServerCore, Spares<unknown>>();

/** The spares of `server`'s connections. */
export function sparesOf<T>(server: ServerCore): Spares<T> {
  let s = byServer.get(server);
  if (s === undefined) byServer.set(server, (s = new Spares()));
  return s as Spares<T>;
}
