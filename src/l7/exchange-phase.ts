/**
 * The phases of an exchange (exchange-state.ts holds the only field; exchange-request.ts and
 * exchange.ts make the transitions):
 *
 *   Start ─► Forwarding ◄─► Queued          (a retry goes Forwarding → Forwarding)
 *               │
 *               ├─► Responding ─► Relayed ─► Done
 *               └─► Tunnel ─────────────────► Done
 *   any phase ─► Done (a proxy reply, or a failure: an abort once a response had started)
 */
/** Where an exchange is. Ordered: every phase from Responding on (Done excepted) has sent a head. */
export const enum Phase {
  /** The request head is in: hooks run, a backend is chosen. */
  Start,
  /** Queued in a connection group for an upstream connection (its max_connections reached). */
  Queued,
  /** The request is on its way to the backend (or held until the client packet has parsed). */
  Forwarding,
  /** The final response head went to the client; its body follows. */
  Responding,
  /** The response was relayed to its end; completion follows at once. */
  Relayed,
  /** A 101 was relayed: both connections carry raw bytes until either closes. */
  Tunnel,
  /** Over: relayed, answered by the proxy, or failed. Nothing more happens. */
  Done,
}

