/**
 * A client side's last exchange, finished, kept to serve its next request: a keep-alive HTTP/1.1
 * connection's (issue 17), or an HTTP/2 client stream's, which serves later streams of its
 * listener's connections (issue 15). A steady stream of requests makes no Exchange (nor request
 * state) per request, and what stays alive between young collections stays put. An exchange is
 * kept only once nothing can reach it any more (Exchange.recyclable), and lets go of its finished
 * request when kept.
 */
import type { RequestHead } from "../http/index.ts";
import { Exchange } from "./exchange.ts";
import type { ClientSide } from "./client-side.ts";

export class SpareExchange {
  private kept: Exchange | null = null;

  /** The exchange for the client's request `req`: the kept one made new for it, or a new one. */
  take(client: ClientSide, req: RequestHead): Exchange {
    const ex = this.kept;
    if (ex === null) return new Exchange(client, req);
    this.kept = null;
    ex.renewFor(req);
    return ex;
  }

  /**
   * Keeps `ex` for the next request when nothing can reach it. Called once it is done and logged,
   * before the next request can be taken (after any pipelined request was given its own): the
   * frames that ended it (the response relay, the request parser) still hold it, and must find it
   * finished, not restarted, as they unwind; retiring keeps it finished.
   */
  offer(ex: Exchange): void {
    if (!ex.recyclable) return;
    ex.retire();
    this.kept = ex;
  }
}
