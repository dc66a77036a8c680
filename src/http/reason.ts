/** Reason phrases for the status lines Fulcrum writes itself (HTTP/2 carries none: RFC 9113 §8.3.2). */
const REASONS: Record<number, string> = {
  100: "Continue", 101: "Switching Protocols", 103: "Early Hints",
  200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
  301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect", 308: "Permanent Redirect", 304: "Not Modified",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 410: "Gone",
  413: "Content Too Large", 414: "URI Too Long", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
  499: "Client Closed Request", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** The reason phrase for `status` ("Unknown" for one not listed: the phrase is only a courtesy). */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? "Unknown";
}
