/**
 * Exchange state only some requests use (a wait for a backend connection, a body kept for a retry,
 * trailers, compression), kept apart for the reason ctx-extras.ts gives: the exchange object, made
 * per request, stays in a smaller heap cell. The exchange makes one on the first non-null write.
 */
import type { BodyEncoder } from "./compress/index.ts";
import type { ConnGroup } from "./conn-group.ts";
import type { HeldRequest } from "./held-request.ts";
import type { ReplayBody } from "./replay-body.ts";
import type { Trailers } from "./trailers.ts";

export class ExchangeExtras {
  /** What waits for `launch` or a granted leg; null once sent on. */
  held: HeldRequest | null = null;
  /** The group the exchange is queued in (phase Queued); null otherwise. */
  waitingIn: ConnGroup | null = null;
  /** Copies of the body read so far, for a retry (see replayBodyBytes); made with the first piece kept. */
  replay: ReplayBody | null = null;
  trailers: Trailers | null = null;
  /** Compresses the response body (see compress/start.ts); null = relayed as it comes. */
  encoder: BodyEncoder | null = null;
}

/** What an exchange without extras reads: every field null (never written). */
export const NO_EXCHANGE_EXTRAS: Readonly<ExchangeExtras> = Object.freeze(new ExchangeExtras());
