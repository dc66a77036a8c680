/** Defaults the snapshot fills for optional limits (the data plane relies on them being set). */

/** Upstream connect timeout when a pool sets none. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** A client connection idle this long is closed. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** An HTTP request's headers must arrive within this (slowloris). */
export const DEFAULT_HEADER_TIMEOUT_MS = 10_000;
/**
 * A TLS handshake, or an L4 preamble (ClientHello, PROXY header), must finish within this; like
 * the header timeout (nginx's ssl_handshake_timeout is 60 s, long when idle sockets are the attack).
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/**
 * The largest request body an http(s) listener accepts; 0 = no limit. Bodies stream through and
 * are never buffered whole, so like HAProxy (and unlike nginx's 1 MiB) there is no cap by default.
 */
export const DEFAULT_MAX_BODY_BYTES = 0;
/** L7: the backend's response head must arrive within this (nginx's proxy_read_timeout is 60 s). */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 60_000;
