/**
 * Response-side cases: what a backend may send and what the client must see, shared by the parser
 * tests and the real-node tests (test/integration/l7-response-cases.test.ts), the way cases.ts
 * lists the request side. Every case keeps Fulcrum's strictness: a malformed head is a 502 and the
 * backend connection is dropped; a body broken after the head cuts the client off; framing fields
 * reach the client only where they describe the body it gets, and as one canonical line.
 */

/** How the node must answer the case. */
export type ResponseExpect =
  /** A 502 from the node (after any 1xx relayed before it): `code` in x-fulcrum-error (default UPSTREAM_PROTOCOL), `reason` in its body. */
  | { refused: string | null; code?: string; clientCloses?: boolean }
  /** The response broke after its head was sent: the client is cut off and never sees `lacks`. */
  | { cut: true; lacks: string[] }
  /** Relayed. */
  | {
      status: number;
      /** Field name (lower-case) → every value the client must see for it, in order ([] = absent). */
      fields?: Record<string, string[]>;
      /** Each 1xx head the client must see, as `fields` (the array's length is their number). */
      interim?: Record<string, string[]>[];
      /** The bytes after the final head, exactly. */
      body?: string;
      /** The node closes the client connection after it (default: kept alive). */
      clientCloses?: boolean;
      /** "kept": the backend connection serves the next request; "closed": the node drops it. */
      upstream: "kept" | "closed";
    };

export interface ResponseCase {
  name: string;
  /** What the backend writes; several parts go out ~30 ms apart (the head reaches the client first). */
  response: string | string[];
  /** The backend closes its side after writing. */
  backendCloses?: boolean;
  /** The client's request ("PATH" is replaced by the case's path); default a GET. */
  request?: string;
  /** Pipeline a follow-up request after the case's (default true): it shows whether the connection survived. */
  followUp?: boolean;
  expect: ResponseExpect;
}

const OK = "HTTP/1.1 200 OK\r\n";
const CHUNKED = `${OK}Transfer-Encoding: chunked\r\n\r\n`;
const cut = (name: string, rest: string, lacks: string): ResponseCase => ({
  name, response: [`${CHUNKED}5\r\nhello\r\n`, rest], expect: { cut: true, lacks: [lacks] },
});
const refused = (name: string, response: string, reason: string | null): ResponseCase => ({ name, response, expect: { refused: reason } });

/** The cases, in three groups: refused heads, bodies cut short, and relayed responses. */
export const RESPONSE_CASES: ResponseCase[] = [
  refused("Content-Length with Transfer-Encoding", `${OK}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, "TE_AND_CL"),
  refused("Transfer-Encoding before Content-Length", `${OK}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello`, "TE_AND_CL"),
  refused("differing Content-Length", `${OK}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`, "DIFFERING_CONTENT_LENGTH"),
  refused("Content-Length list", `${OK}Content-Length: 5, 5\r\n\r\nhello`, "BAD_CONTENT_LENGTH"),
  refused("Content-Length +5", `${OK}Content-Length: +5\r\n\r\nhello`, "BAD_CONTENT_LENGTH"),
  refused("negative Content-Length", `${OK}Content-Length: -1\r\n\r\n`, "BAD_CONTENT_LENGTH"),
  refused("Content-Length 0x5", `${OK}Content-Length: 0x5\r\n\r\nhello`, "BAD_CONTENT_LENGTH"),
  refused("too large Content-Length", `${OK}Content-Length: 1234567890123456\r\n\r\n`, "BAD_CONTENT_LENGTH"),
  refused("a coding before chunked", `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`, "BAD_TRANSFER_ENCODING"),
  refused("identity coding", `${OK}Transfer-Encoding: identity\r\n\r\n`, "BAD_TRANSFER_ENCODING"),
  refused("two Transfer-Encoding lines", `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, "BAD_TRANSFER_ENCODING"),
  refused("Transfer-Encoding in an HTTP/1.0 response", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "TE_IN_HTTP10"),
  refused("obs-fold", `${OK}Foo: a\r\n b\r\nContent-Length: 0\r\n\r\n`, "OBS_FOLD"),
  refused("obs-fold with a tab", `${OK}Foo: a\r\n\tb\r\nContent-Length: 0\r\n\r\n`, "OBS_FOLD"),
  refused("whitespace before the colon", `${OK}Content-Length : 0\r\n\r\n`, "WS_BEFORE_COLON"),
  refused("bare CR in a value", `${OK}Foo: a\rb\r\nContent-Length: 0\r\n\r\n`, "BARE_CR"),
  refused("bare CR after the status line", "HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n", "BARE_CR"),
  refused("bare LF line endings", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", "BARE_LF"),
  refused("bare LF after a field", `${OK}Foo: a\nContent-Length: 0\r\n\r\n`, "BARE_LF"),
  refused("NUL in a value", `${OK}Foo: a\x00b\r\nContent-Length: 0\r\n\r\n`, "BAD_HEADER_VALUE"),
  refused("control byte in a name", `${OK}Fo\x01o: b\r\nContent-Length: 0\r\n\r\n`, "BAD_HEADER_NAME"),
  refused("empty field name", `${OK}: b\r\nContent-Length: 0\r\n\r\n`, "BAD_HEADER_NAME"),
  refused("line without a colon", `${OK}Foo\r\nContent-Length: 0\r\n\r\n`, "BAD_HEADER_NAME"),
  refused("Connection with a bad token", `${OK}Connection: close, @\r\nContent-Length: 0\r\n\r\n`, "BAD_HEADER_VALUE"),
  refused("four-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("status below 100", "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("HTTP/2 status line", "HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("HTTP/1.2 status line", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("lower-case version", "http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("not HTTP at all", "SPDY/9 what\r\n\r\n", "BAD_STATUS_LINE"),
  refused("control byte in the reason phrase", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", "BAD_STATUS_LINE"),
  refused("a malformed final head after a 100", `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 2\r\nContent-Length: 3\r\n\r\nok`, "DIFFERING_CONTENT_LENGTH"),
  refused("oversized head", `${OK}X: ${"y".repeat(70_000)}\r\nContent-Length: 0\r\n\r\n`, "HEADERS_TOO_LARGE"),
  refused("too many fields", `${OK}${"X: y\r\n".repeat(100)}Content-Length: 0\r\n\r\n`, "TOO_MANY_HEADERS"),
  refused("a malformed 103 before the response", `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n b\r\n\r\n${OK}Content-Length: 0\r\n\r\n`, "OBS_FOLD"),
  { name: "the backend closes in the middle of the head", response: `${OK}Content-Le`, backendCloses: true, expect: { refused: null } },
  {
    name: "a 101 to a request that asked for no upgrade",
    response: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    expect: { refused: null, code: "BAD_UPGRADE", clientCloses: true },
  },

  cut("bad chunk size", "zz\r\nworld\r\n0\r\n\r\n", "world"),
  cut("chunk data longer than its size", "5\r\nworldXX\r\n0\r\n\r\n", "XX"),
  cut("too long chunk size", "0000000000005\r\nworld\r\n0\r\n\r\n", "world"),
  cut("control byte in a chunk-ext", "5;a\x01b\r\nworld\r\n0\r\n\r\n", "world"),
  cut("obs-fold in a trailer", "0\r\nA: b\r\n c\r\n\r\n", "A: b"),
  cut("bare LF after a chunk", "5\r\nworld\n0\r\n\r\n", "world"),
  { name: "a Content-Length body cut by close", response: [`${OK}Content-Length: 20\r\n\r\nshort`, "er"], backendCloses: true, expect: { cut: true, lacks: ["Follow-Up"] } },
  { name: "a chunked body cut by close", response: [`${CHUNKED}5\r\nhello\r\n`, "3\r\nab"], backendCloses: true, expect: { cut: true, lacks: ["Follow-Up"] } },

  {
    name: "a plain response passes unchanged and its connection is reused",
    response: `${OK}Content-Length: 5\r\nX-Kept: yes\r\n\r\nhello`,
    expect: { status: 200, fields: { "content-length": ["5"], "x-kept": ["yes"] }, body: "hello", upstream: "kept" },
  },
  {
    name: "a chunked body is relayed with its framing",
    response: `${CHUNKED}5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n`,
    expect: { status: 200, fields: { "transfer-encoding": ["chunked"] }, body: "5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n", upstream: "kept" },
  },
  {
    name: "a body delimited by close makes the client connection close too",
    response: `${OK}\r\nuntil close`, backendCloses: true,
    expect: { status: 200, fields: { connection: ["close"] }, body: "until close", clientCloses: true, upstream: "closed" },
  },
  {
    name: "an HTTP/1.0 response goes out as HTTP/1.1; the backend connection is not kept",
    response: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", backendCloses: true,
    expect: { status: 200, fields: { "content-length": ["2"] }, body: "ok", upstream: "closed" },
  },
  {
    name: "Connection: close from the backend ends the backend connection, not the client's",
    response: `${OK}Connection: close\r\nContent-Length: 2\r\n\r\nok`, backendCloses: true,
    expect: { status: 200, fields: { connection: [] }, body: "ok", upstream: "closed" },
  },
  {
    name: "hop-by-hop and Connection-named fields are not relayed",
    response: `${OK}Connection: X-Secret\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: foo\r\nHTTP2-Settings: AAAA\r\nX-Other: o\r\nContent-Length: 0\r\n\r\n`,
    expect: {
      status: 200, upstream: "kept",
      fields: { connection: [], "x-secret": [], "keep-alive": [], "proxy-connection": [], te: [], upgrade: [], "http2-settings": [], "x-other": ["o"] },
    },
  },
  {
    name: "bytes after the response: relayed without them, the backend connection dropped",
    response: `${OK}Content-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra`,
    expect: { status: 200, body: "ok", upstream: "closed" },
  },
  {
    name: "several Set-Cookie lines stay several",
    response: `${OK}Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n`,
    expect: { status: 200, fields: { "set-cookie": ["a=1", "b=2"] }, body: "", upstream: "kept" },
  },
  {
    name: "a body after a HEAD response is not relayed, and its connection is dropped",
    request: "HEAD PATH HTTP/1.1\r\nHost: t\r\n\r\n",
    response: `${OK}Content-Length: 5\r\n\r\nhello`,
    expect: { status: 200, fields: { "content-length": ["5"] }, body: "", upstream: "closed" },
  },
  {
    name: "a HEAD response keeps the framing fields a GET would have had",
    request: "HEAD PATH HTTP/1.1\r\nHost: t\r\n\r\n",
    response: CHUNKED,
    expect: { status: 200, fields: { "transfer-encoding": ["chunked"] }, body: "", upstream: "kept" },
  },
  {
    name: "100 Continue reaches an HTTP/1.1 client before the response",
    response: `HTTP/1.1 100 Continue\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
    expect: { status: 200, interim: [{}], body: "ok", upstream: "kept" },
  },
  {
    name: "several 1xx heads, each relayed in order",
    response: `${"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n".repeat(5)}${OK}Content-Length: 2\r\n\r\nok`,
    expect: { status: 200, interim: Array.from({ length: 5 }, () => ({ link: ["</x>"] })), body: "ok", upstream: "kept" },
  },
  {
    name: "a status line without a reason phrase is relayed",
    response: "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
    expect: { status: 200, body: "ok", upstream: "kept" },
  },
  {
    name: "obs-text in a value and whitespace around Content-Length are relayed as sent",
    response: `${OK}X-Latin: caf\xe9\r\nContent-Length:  2 \r\n\r\nok`,
    expect: { status: 200, fields: { "x-latin": ["caf\xe9"], "content-length": ["2"] }, body: "ok", upstream: "kept" },
  },
  {
    name: "an HTTP/1.0 response with Connection: keep-alive keeps its connection",
    response: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    expect: { status: 200, fields: { connection: ["keep-alive"] }, body: "ok", upstream: "kept" },
  },
  {
    name: "chunk extensions and a Trailer field are relayed with the chunked body",
    response: `${OK}Trailer: X-Sum\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Sum: 9\r\n\r\n`,
    expect: { status: 200, fields: { trailer: ["X-Sum"] }, body: "5;ext=1\r\nhello\r\n0\r\nX-Sum: 9\r\n\r\n", upstream: "kept" },
  },
  {
    name: "1xx are not relayed to an HTTP/1.0 client",
    request: "GET PATH HTTP/1.0\r\n\r\n", followUp: false,
    response: `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
    expect: { status: 200, interim: [], body: "ok", clientCloses: true, upstream: "kept" },
  },

  // framing fields canonical and only where they describe a body (issue 11, items 5 and 13)
  {
    name: "duplicate identical Content-Length lines reach the client as one",
    response: `${OK}Content-Length: 5\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello`,
    expect: { status: 200, fields: { "content-length": ["5"], "x-a": ["1"] }, body: "hello", upstream: "kept" },
  },
  {
    name: "a Content-Length with leading zeros reaches the client without them",
    response: `${OK}Content-Length: 005\r\n\r\nhello`,
    expect: { status: 200, fields: { "content-length": ["5"] }, body: "hello", upstream: "kept" },
  },
  {
    name: "duplicate Content-Length on a HEAD response: one line",
    request: "HEAD PATH HTTP/1.1\r\nHost: t\r\n\r\n",
    response: `${OK}Content-Length: 7\r\nContent-Length: 7\r\n\r\n`,
    expect: { status: 200, fields: { "content-length": ["7"] }, body: "", upstream: "kept" },
  },
  {
    name: "204 with Transfer-Encoding: the field is dropped",
    response: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
    expect: { status: 204, fields: { "transfer-encoding": [], "x-a": ["1"] }, body: "", upstream: "kept" },
  },
  {
    name: "204 with Content-Length: 0: the field is dropped",
    response: "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    expect: { status: 204, fields: { "content-length": [] }, body: "", upstream: "kept" },
  },
  {
    name: "204 with a Content-Length and a body: neither reaches the client, the connection is dropped",
    response: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
    expect: { status: 204, fields: { "content-length": [] }, body: "", upstream: "closed" },
  },
  {
    name: "304 with Content-Length: the field is dropped",
    response: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: \"7\"\r\n\r\n",
    expect: { status: 304, fields: { "content-length": [], etag: ['"7"'] }, body: "", upstream: "kept" },
  },
  {
    name: "304 with Transfer-Encoding: the field is dropped",
    response: "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    expect: { status: 304, fields: { "transfer-encoding": [] }, body: "", upstream: "kept" },
  },
  {
    name: "304 with a body: not relayed, the connection is dropped",
    response: "HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello",
    expect: { status: 304, fields: { "content-length": [] }, body: "", upstream: "closed" },
  },

  // 1xx heads through the same field filter as final ones (item 11)
  {
    name: "103 with Connection, a field it names and Transfer-Encoding: all dropped, Link kept",
    response: `HTTP/1.1 103 Early Hints\r\nConnection: close, X-Secret\r\nX-Secret: s\r\nTransfer-Encoding: chunked\r\nLink: </a>; rel=preload\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
    expect: {
      status: 200, body: "ok", upstream: "kept",
      interim: [{ connection: [], "x-secret": [], "transfer-encoding": [], link: ["</a>; rel=preload"] }],
    },
  },
  {
    name: "103 with Content-Length: dropped (RFC 9110 §8.6)",
    response: `HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\nLink: </b>\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
    expect: { status: 200, body: "ok", upstream: "kept", interim: [{ "content-length": [], link: ["</b>"] }] },
  },
  {
    name: "100 with Keep-Alive, Proxy-Connection, TE and Upgrade: all dropped",
    response: `HTTP/1.1 100 Continue\r\nKeep-Alive: timeout=1\r\nProxy-Connection: close\r\nTE: trailers\r\nUpgrade: h2c\r\nX-Ok: 1\r\n\r\n${OK}Content-Length: 2\r\n\r\nok`,
    expect: {
      status: 200, body: "ok", upstream: "kept",
      interim: [{ "keep-alive": [], "proxy-connection": [], te: [], upgrade: [], "x-ok": ["1"] }],
    },
  },

  // an early final response says that the connection will close (item 12)
  {
    name: "413 while the client still uploads says Connection: close",
    request: "POST PATH HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n0123456789", followUp: false,
    response: "HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nbig!",
    expect: { status: 413, fields: { connection: ["close"] }, body: "big!", clientCloses: true, upstream: "closed" },
  },
  {
    name: "401 while a chunked upload goes on says Connection: close",
    request: "POST PATH HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", followUp: false,
    response: "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
    expect: { status: 401, fields: { connection: ["close"] }, body: "", clientCloses: true, upstream: "closed" },
  },
];
