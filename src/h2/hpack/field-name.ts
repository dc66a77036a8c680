/**
 * What the encoder needs to know about a field name, worked out once per distinct name (names are
 * interned: intern.ts) instead of by three set and map lookups per field.
 */
import { STATIC_BY_NAME } from "./static-table.ts";

/** Values that are almost never repeated (paths, lengths, etags...): sent without indexing. */
export const NO_INDEX: ReadonlySet<string> = new Set([
  ":path", "age", "content-length", "etag", "if-modified-since", "if-none-match", "location", "set-cookie", "x-request-id",
]);

/** Connection-specific fields have no meaning in HTTP/2 and make a message malformed (RFC 9113 §8.2.2). */
export const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

export class FieldName {
  /** Static-table index of the name, 0 when it is not there. */
  readonly staticIndex: number;
  /**
   * The static table lists values for it (:method, accept-encoding...) or never-indexed rules apply
   * (cookie, credentials): the encoder takes its string path, which knows those rules.
   */
  readonly special: boolean;
  readonly noIndex: boolean;
  readonly connectionSpecific: boolean;

  /** `name` is lower-case. */
  constructor(readonly name: string) {
    const st = STATIC_BY_NAME.get(name);
    this.staticIndex = st?.index ?? 0;
    this.special = (st !== undefined && st.values !== null) || name === "cookie" || name === "authorization" || name === "proxy-authorization";
    this.noIndex = NO_INDEX.has(name);
    this.connectionSpecific = CONNECTION_SPECIFIC.has(name);
  }
}
