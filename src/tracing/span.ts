/**
 * One finished span as the request path hands it over: plain fields copied at the end of the
 * request, nothing computed. Turning it into OTLP (attribute lists, nanosecond strings) happens in
 * the exporter's batch, off the request path.
 */

/** The span of one request through the proxy (SERVER kind: the proxy's handling of it, the hop to the backend included). */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  /** The incoming traceparent's parent-id; "" for a trace started here. */
  parentSpanId: string;
  /** The incoming tracestate (fields joined by ","), kept as received; "" for none. */
  traceState: string;
  /** W3C trace-flags. */
  flags: number;
  /** Unix time in ms (fractional): request head in, upstream request sent and response head back (0 = never), end. */
  startMs: number;
  upstreamStartMs: number;
  responseStartMs: number;
  endMs: number;
  method: string;
  scheme: string;
  /** Host as the client sent it (may carry a port). */
  host: string;
  path: string;
  /** Without the "?"; "" for none. */
  query: string;
  clientAddress: string;
  userAgent: string;
  /** "1.1" or "1.0". */
  protocolVersion: string;
  /** 0 when no response was sent. */
  status: number;
  listener: string;
  route: string;
  pool: string;
  backend: string;
  retries: number;
  bytesIn: number;
  bytesOut: number;
  /** x-fulcrum-error code of a failed request; "" for none. */
  errorCode: string;
}
