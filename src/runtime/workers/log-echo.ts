/**
 * Control part: the workers' log lines as one node's log. The same event in every worker (a
 * listener bound, a revision applied) is one line, not one per worker.
 */
const ECHO_MS = 2_000;

export class LogEcho {
  readonly #recent = new Map<string, number>();

  /** True when some worker logged `line` within the last 2 s (then it is not logged again). */
  repeated(line: string): boolean {
    const now = Date.now();
    if (this.#recent.size > 256) for (const [l, at] of this.#recent) if (now - at > ECHO_MS) this.#recent.delete(l);
    const at = this.#recent.get(line);
    if (at !== undefined && now - at <= ECHO_MS) return true;
    this.#recent.set(line, now);
    return false;
  }
}
