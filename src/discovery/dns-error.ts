/** Why a DNS lookup gave no usable answer: the `reason` label of the failure counter and the log line. */
export type DnsFailure =
  /** the name does not exist (NXDOMAIN) */
  | "nxdomain"
  /** the name exists but has no record of the type asked, or only unusable ones */
  | "empty"
  /** SERVFAIL, REFUSED or another error RCODE */
  | "server_error"
  /** no resolver answered in time */
  | "timeout"
  /** a socket error talking to the resolver */
  | "network"
  /** an answer that does not parse */
  | "malformed"
  | "bad_name";

/** A failed lookup; `reason` is stable (metrics label), `message` says what happened. */
export class DnsError extends Error {
  constructor(readonly reason: DnsFailure, message: string) {
    super(message);
    this.name = "DnsError";
  }
}

/** The RCODE of an answer in words (RFC 1035 §4.1.1, RFC 6895). */
export function rcodeText(rcode: number): string {
  return ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"][rcode] ?? `RCODE ${rcode}`;
}
