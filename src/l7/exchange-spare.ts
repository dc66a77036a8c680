/**
 * A keep-alive connection's last exchange, finished, kept to serve its next request (issue 17): a
 * steady stream of requests on one connection makes no Exchange (nor request state) per request,
 * and what stays alive between young collections stays put. An exchange is kept only once nothing
 * can reach it any more (Exchange.recyclable), and lets go of its finished request when kept.
 */
import type { RequestHead } from "../http/index.ts";
import { Exchange } from "./exchange.ts";
import type { Session } from "./session.ts";

export class SpareExchange {
  private kept: Exchange | null = null;

  /** The exchange for the client's request `req`: the kept one made new for it, or a new one. */
  take(client: Session, req: RequestHead): Exchange {
    const ex = this.kept;
    if (ex === null) return new Exchange(client, req);
    this.kept = null;
    ex.renewFor(req);
    return ex;
  }

  /**
   * Keeps `ex` for the next request when nothing can reach it. Called last when it is done, after
   * any pipelined request was given its own: the frames that ended it (the response relay, the
   * request parser) still hold it, and must find it finished, not restarted, as they unwind.
   */
  offer(ex: Exchange): void {
    if (!ex.recyclable) return;
    ex.retire();
    this.kept = ex;
  }
}
