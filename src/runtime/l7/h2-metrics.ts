/**
 * HTTP/2 series of the L7 listeners, copied from each listener's H2Counters at scrape time (the
 * codec only adds to plain numbers). Named per level (fulcrum_listener_*), counters in _total.
 */
import type { H2Counters } from "../../h2/index.ts";
import type { Registry } from "../../obs/index.ts";
import type { ListenerCounterBook } from "../stats/listener-counters.ts";

/** The protections of the codec, by the `kind` label /metrics shows them with. */
const PROTECTIONS: readonly [string, (c: H2Counters) => number][] = [
  ["rapid_reset", (c) => c.resetFloods],
  ["continuation_flood", (c) => c.continuationFloods],
  ["header_list_too_large", (c) => c.headerListTooLarge],
  ["ping_flood", (c) => c.pingFloods],
  ["settings_flood", (c) => c.settingsFloods],
  ["empty_frame_flood", (c) => c.emptyFrameFloods],
  ["stalled_window", (c) => c.stalls],
  ["max_concurrent_streams", (c) => c.refusedStreams],
  ["malformed", (c) => c.malformed],
];

/** Registers the fulcrum_listener_h2_* families for every http(s) listener the book knows. */
export function registerH2Metrics(metrics: Registry, book: ListenerCounterBook): void {
  const each = (fn: (listener: string, c: H2Counters) => void) => {
    for (const [name, k] of book.entries()) if (!k.l4 && k.h2.connections > 0) fn(name, k.h2);
  };
  metrics.counter("fulcrum_listener_h2_connections_total", "HTTP/2 client connections (h2 by ALPN, h2c by prior knowledge)", ["listener"], (m) =>
    each((listener, c) => m.set(c.connections, { listener })));
  metrics.counter("fulcrum_listener_h2_streams_total", "HTTP/2 streams clients opened", ["listener"], (m) =>
    each((listener, c) => m.set(c.streams, { listener })));
  metrics.counter("fulcrum_listener_h2_client_resets_total", "HTTP/2 streams the client reset before their response ended", ["listener"], (m) =>
    each((listener, c) => m.set(c.peerResets, { listener })));
  metrics.counter("fulcrum_listener_h2_goaways_sent_total", "GOAWAY frames sent to HTTP/2 clients (drains, idle timeouts and errors)", ["listener"], (m) =>
    each((listener, c) => m.set(c.goawaysSent, { listener })));
  metrics.counter("fulcrum_listener_h2_connection_errors_total", "HTTP/2 client connections ended with an error (GOAWAY other than NO_ERROR)", ["listener"], (m) =>
    each((listener, c) => m.set(c.connectionErrors, { listener })));
  metrics.counter("fulcrum_listener_h2_stream_errors_total", "HTTP/2 streams reset by the proxy (RST_STREAM sent)", ["listener"], (m) =>
    each((listener, c) => m.set(c.streamErrors, { listener })));
  metrics.counter("fulcrum_listener_h2_protections_total", "HTTP/2 protections that fired, by kind (rapid reset, floods, HPACK bombs, stalls, stream limits, malformed requests)", ["listener", "kind"], (m) =>
    each((listener, c) => {
      for (const [kind, value] of PROTECTIONS) m.set(value(c), { listener, kind });
    }));
}
