/**
 * One backend's health as a small state machine over *consecutive* results (pingora's
 * `observe_health`): it turns unhealthy after `unhealthyThreshold` failures in a row and healthy
 * after `healthyThreshold` passes in a row, so a single lost probe never flaps a backend.
 */
export class Health {
  #healthy: boolean;
  #streak = 0;
  #lastError: string | undefined;

  constructor(
    private readonly healthyThreshold: number,
    private readonly unhealthyThreshold: number,
    initiallyHealthy: boolean,
  ) {
    this.#healthy = initiallyHealthy;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  /** Why the last probe failed, if it did. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Records one probe result; returns true only when this result flipped the state. */
  observe(success: boolean, error?: string): boolean {
    this.#lastError = success ? undefined : error;
    // A result agreeing with the current state resets the streak toward a flip.
    if (success === this.#healthy) {
      this.#streak = 0;
      return false;
    }
    this.#streak++;
    const needed = success ? this.healthyThreshold : this.unhealthyThreshold;
    if (this.#streak < needed) return false;
    this.#healthy = success;
    this.#streak = 0;
    return true;
  }
}
