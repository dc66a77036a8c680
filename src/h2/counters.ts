/**
 * What HTTP/2 connections saw, as plain counters the engine can export as metrics. One instance is
 * usually shared by all connections of a listener (the codec only ever adds to it).
 */
export class H2Counters {
  /** Connections started. */
  connections = 0;
  /** Streams opened (by either side). */
  streams = 0;
  /** Streams refused because the peer passed SETTINGS_MAX_CONCURRENT_STREAMS (RST_STREAM REFUSED_STREAM). */
  refusedStreams = 0;
  /** Streams the peer reset before their response ended. */
  peerResets = 0;
  /** Requests or responses reset as malformed (RFC 9113 §8.1.1: RST_STREAM PROTOCOL_ERROR). */
  malformed = 0;
  /** Header lists larger than SETTINGS_MAX_HEADER_LIST_SIZE (431 and GOAWAY ENHANCE_YOUR_CALM). */
  headerListTooLarge = 0;
  /**
   * GOAWAY ENHANCE_YOUR_CALM for: streams the peer reset early or made fail outnumbering the good
   * ones (rapid reset, CVE-2023-44487; refused-stream floods), CONTINUATION floods, control frame
   * floods.
   */
  resetFloods = 0;
  continuationFloods = 0;
  pingFloods = 0;
  settingsFloods = 0;
  /** PRIORITY or empty DATA frames past the control frame budget. */
  emptyFrameFloods = 0;
  /** Connections closed because data waited on a window that did not open in time. */
  stalls = 0;
  /** GOAWAY frames sent and received, and connection errors sent (GOAWAY with a code other than NO_ERROR). */
  goawaysSent = 0;
  goawaysReceived = 0;
  connectionErrors = 0;
  /** RST_STREAM frames sent for stream errors. */
  streamErrors = 0;
}
