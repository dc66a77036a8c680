/**
 * The protections that need more than one frame to see: a budget for frames that cost work but
 * carry no request (PING and SETTINGS floods, CVE-2019-9512/9515; PRIORITY and empty DATA floods,
 * CVE-2019-9513/9518), the share of streams the peer caused to fail (rapid reset, CVE-2023-44487:
 * streams opened and reset in a loop), and the clocks `tick` drives (stalled windows, SETTINGS
 * acknowledgement). Each ends in GOAWAY ENHANCE_YOUR_CALM (SETTINGS_TIMEOUT for the last) and a count.
 */
import { ErrorCode } from "./constants.ts";
import type { ConnectionState } from "./connection-state.ts";
import { connectionError } from "./h2-error.ts";
import type { H2Options } from "./options.ts";

/** How long a graceful shutdown waits for its PING's ACK before sending the final GOAWAY. */
const DRAIN_PING_WAIT_MS = 1000;

export type BudgetKind = "ping" | "settings" | "empty";

export class ControlGuard {
  budget: number;
  /** Streams the peer tried to open, and those that failed through its doing. */
  peerStreams = 0;
  faults = 0;
  /** DATA bytes sent, for telling a stall from slow progress. */
  dataSent = 0;
  private lastTick = -1;
  private lastDataSent = 0;
  private stalledMs = 0;
  private settingsWaitMs = 0;
  private drainWaitMs = 0;

  constructor(private readonly opts: H2Options) {
    this.budget = opts.controlFrameBurst;
  }

  /** One budgeted frame; throws the connection error once the budget is spent. */
  spend(kind: BudgetKind): void {
    if (--this.budget >= 0) return;
    const c = this.opts.counters;
    if (kind === "ping") c.pingFloods++;
    else if (kind === "settings") c.settingsFloods++;
    else c.emptyFrameFloods++;
    throw connectionError(ErrorCode.ENHANCE_YOUR_CALM, kind === "ping" ? "PING_FLOOD" : kind === "settings" ? "SETTINGS_FLOOD" : "EMPTY_FRAME_FLOOD");
  }

  /**
   * A peer stream failed through the peer's doing (reset before its response ended, malformed,
   * refused). When such failures pass the minimum and outnumber the streams that went well: GOAWAY.
   */
  fault(c: ConnectionState): void {
    this.faults++;
    if (this.faults < this.opts.resetFloodMinStreams || this.faults * 2 <= this.peerStreams) return;
    this.opts.counters.resetFloods++;
    c.goaway(ErrorCode.ENHANCE_YOUR_CALM, "RESET_FLOOD");
  }

  tick(c: ConnectionState, now: number): void {
    if (this.lastTick < 0) {
      this.lastTick = now;
      return;
    }
    const dt = Math.max(0, now - this.lastTick);
    this.lastTick = now;
    this.budget = Math.min(this.opts.controlFrameBurst, this.budget + (this.opts.controlFramesPerSecond * dt) / 1000);
    if (c.buffered > 0 && this.dataSent === this.lastDataSent) this.stalledMs += dt;
    else this.stalledMs = 0;
    this.lastDataSent = this.dataSent;
    if (this.stalledMs >= this.opts.stallTimeoutMs) {
      this.opts.counters.stalls++;
      return c.goaway(ErrorCode.ENHANCE_YOUR_CALM, "STALLED");
    }
    this.settingsWaitMs = c.settingsUnacked > 0 ? this.settingsWaitMs + dt : 0;
    if (this.settingsWaitMs >= this.opts.settingsTimeoutMs) return c.goaway(ErrorCode.SETTINGS_TIMEOUT, "SETTINGS_TIMEOUT");
    // a peer that never answers the shutdown's PING still gets the final GOAWAY
    this.drainWaitMs = c.draining ? this.drainWaitMs + dt : 0;
    if (this.drainWaitMs >= DRAIN_PING_WAIT_MS) c.drainAcked();
  }
}
