/**
 * What one HTTP/2 connection allows its peer and how much it holds for it. Defaults follow what an
 * operator of nginx, HAProxy or Envoy expects: 100 concurrent streams, 64 KiB header lists, 16 KiB
 * frames, 64 KiB stream windows, and bounded buffering per stream and per connection.
 */
import { DEFAULT_MAX_FRAME, DEFAULT_WINDOW } from "./constants.ts";
import { H2Counters } from "./counters.ts";

export interface H2Options {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams the peer may have open at once; more are refused. */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE for the peer's sending on each stream (at least 65,535). */
  initialWindowSize: number;
  /** The connection receive window, raised from 65,535 with a WINDOW_UPDATE at start. */
  connectionWindowSize: number;
  /** SETTINGS_MAX_FRAME_SIZE: the largest frame accepted (16,384 to 16,777,215). */
  maxFrameSize: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE: a larger request head gets 431 and the connection a GOAWAY. */
  maxHeaderListSize: number;
  /** The HPACK table this side's encoder keeps (memory per connection); the peer may allow less. */
  encoderTableSize: number;
  /** Frames (HEADERS + CONTINUATION) one header block may span; beyond: GOAWAY ENHANCE_YOUR_CALM. */
  maxHeaderBlockFrames: number;
  /** Response bytes one stream may have waiting for window before sendData asks the sender to pause. */
  streamBufferBytes: number;
  /** The same across all streams of the connection. */
  connectionBufferBytes: number;
  /**
   * Frames that cost work but carry no request (PING, SETTINGS, PRIORITY, empty DATA) the peer may
   * send in a burst; `tick` refills the budget at `controlFramesPerSecond`. Beyond: ENHANCE_YOUR_CALM.
   */
  controlFrameBurst: number;
  controlFramesPerSecond: number;
  /**
   * Rapid reset (CVE-2023-44487): once the peer has caused `resetFloodMinStreams` stream errors or
   * resets before the response ended, and they are more than half of the streams it opened: GOAWAY.
   */
  resetFloodMinStreams: number;
  /** Data waiting on a window that never opens: GOAWAY after this long without progress (via `tick`). */
  stallTimeoutMs: number;
  /** Our SETTINGS must be acknowledged within this (via `tick`), or GOAWAY SETTINGS_TIMEOUT. */
  settingsTimeoutMs: number;
  /**
   * Server side: advertise SETTINGS_ENABLE_CONNECT_PROTOCOL and accept extended CONNECT requests
   * (`:protocol`, RFC 8441: WebSocket over HTTP/2). Default false.
   */
  enableConnectProtocol: boolean;
  /** Where this connection counts what it saw; share one among a listener's connections. */
  counters: H2Counters;
}

export const DEFAULT_H2_OPTIONS: Readonly<Omit<H2Options, "counters">> = Object.freeze({
  maxConcurrentStreams: 100,
  initialWindowSize: DEFAULT_WINDOW,
  connectionWindowSize: 1 << 20,
  maxFrameSize: DEFAULT_MAX_FRAME,
  maxHeaderListSize: 64 * 1024,
  encoderTableSize: 4096,
  maxHeaderBlockFrames: 32,
  streamBufferBytes: 64 * 1024,
  connectionBufferBytes: 1 << 20,
  controlFrameBurst: 1000,
  controlFramesPerSecond: 100,
  resetFloodMinStreams: 100,
  stallTimeoutMs: 60_000,
  settingsTimeoutMs: 10_000,
  enableConnectProtocol: false,
});

/** Fills in defaults; a fresh H2Counters unless one is given. */
export function h2Options(opts: Partial<H2Options> = {}): H2Options {
  return { ...DEFAULT_H2_OPTIONS, counters: opts.counters ?? new H2Counters(), ...opts };
}
