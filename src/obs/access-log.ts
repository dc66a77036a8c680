/**
 * The access log: one line per request, with the fields the operator chose, as a JSON object (the
 * default) or as text (the values in field order, space-separated, `-` for an absent one, a value
 * with spaces or quotes written as a JSON string). Lines are batched by a LogSink, shared by every
 * listener that logs to the same place.
 */
import type { LogSink } from "./log-sink.ts";

/** What a line can say about one request; a field left undefined is absent from the line. */
export interface AccessLogEntry {
  time?: string;
  request_id?: string;
  /** The W3C trace id, on requests a listener or route with `tracing` traced (absent otherwise). */
  trace_id?: string;
  listener?: string;
  client?: string;
  method?: string;
  host?: string;
  /** The request-target as received, query included. */
  target?: string;
  /** The normalized path routing used, without the query. */
  path?: string;
  /** "HTTP/1.0", "HTTP/1.1" or "HTTP/2.0". */
  protocol?: string;
  status?: number;
  bytes_in?: number;
  bytes_out?: number;
  duration_ms?: number;
  route?: string;
  pool?: string;
  /** The backend's address (the last attempt's). */
  backend?: string;
  upstream_status?: number;
  upstream_ms?: number;
  attempts?: number;
  retries?: number;
  error?: string;
  user_agent?: string;
  referer?: string;
  /** https with client_auth: the verified client certificate (subject RFC 4514, SANs as KIND:value, SHA-256 hex). */
  client_cert_subject?: string;
  client_cert_san?: string[];
  client_cert_sha256?: string;
}

export type AccessLogFieldName = keyof AccessLogEntry;
export type AccessLogFormat = "json" | "text";

/** Values the text format writes bare: visible ASCII without quotes or backslashes. */
const BARE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : "null";
}

/** One listener's view of an access log: its fields and format, over a shared sink. */
export class AccessLog {
  readonly #wanted: ReadonlySet<AccessLogFieldName>;

  constructor(readonly sink: LogSink, readonly fields: readonly AccessLogFieldName[], readonly format: AccessLogFormat = "json") {
    this.#wanted = new Set(fields);
  }

  /** True when lines carry `field`: callers skip gathering the others (a header lookup, a clock read). */
  wants(field: AccessLogFieldName): boolean {
    return this.#wanted.has(field);
  }

  /** Formats `e` and queues the line. */
  write(e: AccessLogEntry): void {
    this.sink.append(this.format === "json" ? this.json(e) : this.text(e));
  }

  /** One object holding the chosen fields in order, stringified natively (undefined ones are left out). */
  private json(e: AccessLogEntry): string {
    const o: Partial<Record<AccessLogFieldName, unknown>> = {};
    for (let i = 0; i < this.fields.length; i++) {
      const f = this.fields[i]!;
      o[f] = e[f];
    }
    return `${JSON.stringify(o)}\n`;
  }

  private text(e: AccessLogEntry): string {
    let line = "";
    for (let i = 0; i < this.fields.length; i++) {
      const v = e[this.fields[i]!];
      if (i > 0) line += " ";
      if (v === undefined) line += "-";
      else if (typeof v === "number") line += jsonNumber(v);
      else {
        const t = Array.isArray(v) ? v.join(",") : v; // a list (client_cert_san) as one value
        line += BARE.test(t) && t !== "-" ? t : JSON.stringify(t);
      }
    }
    return `${line}\n`;
  }
}
