/**
 * The ProxyCtx fields most requests leave at their defaults (route edits, compression, a reply's
 * code), kept apart from the exchange so that object stays in a smaller heap cell: JSC sizes an
 * object by its field count, and an exchange is made per request (issue 17). RequestCtx makes one
 * on the first write of a value other than the default.
 */
import type { Coding, CompressPolicy } from "./compress/index.ts";
import { DEFAULT_UPGRADES } from "./upgrade.ts";

export class CtxExtras {
  upstreamTarget: string | null = null;
  upstreamHost: string | null = null;
  replayBodyBytes = 0;
  upgrades: readonly string[] = DEFAULT_UPGRADES;
  dropRequestFields: string[] | null = null;
  dropResponseFields: string[] | null = null;
  replyErrorCode: string | null = null;
  compress: CompressPolicy | null = null;
  contentCoding: Coding | null = null;
  compressedIn = 0;
  compressedOut = 0;
}

/** What a request without extras reads: every default (never written). */
export const NO_EXTRAS: Readonly<CtxExtras> = Object.freeze(new CtxExtras());
