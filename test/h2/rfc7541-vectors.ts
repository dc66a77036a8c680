/**
 * RFC 7541 Appendix C: the worked examples, as hex dumps of header blocks and the header lists
 * they carry. C.3/C.4 are requests on one connection (table size 4096), C.5/C.6 responses on one
 * connection with SETTINGS_HEADER_TABLE_SIZE 256, so evictions happen.
 */

export type Fields = [string, string][];

export interface Block {
  hex: string;
  fields: Fields;
  /** Dynamic table after decoding, newest first, and its size. */
  table: Fields;
  size: number;
}

export const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

/** C.4 and C.6 Huffman string literals and what they decode to. */
export const HUFFMAN_STRINGS: [string, string][] = [
  ["f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
  ["a8eb 1064 9cbf", "no-cache"],
  ["25a8 49e9 5ba9 7d7f", "custom-key"],
  ["25a8 49e9 5bb8 e8b4 bf", "custom-value"],
  ["6402", "302"],
  ["aec3 771a 4b", "private"],
  ["d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT"],
  ["9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com"],
  ["640e ff", "307"],
  ["d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff", "Mon, 21 Oct 2013 20:13:22 GMT"],
  ["9bd9 ab", "gzip"],
  [
    "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
  ],
];

/** C.2: single representations, each decoded with a fresh table. */
export const C2: Block[] = [
  { hex: "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", fields: [["custom-key", "custom-header"]], table: [["custom-key", "custom-header"]], size: 55 },
  { hex: "040c 2f73 616d 706c 652f 7061 7468", fields: [[":path", "/sample/path"]], table: [], size: 0 },
  { hex: "1008 7061 7373 776f 7264 0673 6563 7265 74", fields: [["password", "secret"]], table: [], size: 0 },
  { hex: "82", fields: [[":method", "GET"]], table: [], size: 0 },
];

const REQ1: Fields = [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]];
const REQ2: Fields = [...REQ1, ["cache-control", "no-cache"]];
const REQ3: Fields = [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]];
const T1: Fields = [[":authority", "www.example.com"]];
const T2: Fields = [["cache-control", "no-cache"], ...T1];
const T3: Fields = [["custom-key", "custom-value"], ...T2];

/** C.3: requests without Huffman coding. */
export const C3: Block[] = [
  { hex: "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", fields: REQ1, table: T1, size: 57 },
  { hex: "8286 84be 5808 6e6f 2d63 6163 6865", fields: REQ2, table: T2, size: 110 },
  { hex: "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", fields: REQ3, table: T3, size: 164 },
];

/** C.4: the same requests with Huffman coding. */
export const C4: Block[] = [
  { hex: "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", fields: REQ1, table: T1, size: 57 },
  { hex: "8286 84be 5886 a8eb 1064 9cbf", fields: REQ2, table: T2, size: 110 },
  { hex: "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", fields: REQ3, table: T3, size: 164 },
];

const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOC = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RES1: Fields = [[":status", "302"], ["cache-control", "private"], ["date", DATE1], ["location", LOC]];
const RES2: Fields = [[":status", "307"], ["cache-control", "private"], ["date", DATE1], ["location", LOC]];
const RES3: Fields = [[":status", "200"], ["cache-control", "private"], ["date", DATE2], ["location", LOC], ["content-encoding", "gzip"], ["set-cookie", COOKIE]];
const U1: Fields = [["location", LOC], ["date", DATE1], ["cache-control", "private"], [":status", "302"]];
const U2: Fields = [[":status", "307"], ["location", LOC], ["date", DATE1], ["cache-control", "private"]];
const U3: Fields = [["set-cookie", COOKIE], ["content-encoding", "gzip"], ["date", DATE2]];

/** Table size for C.5 and C.6. */
export const RESPONSE_TABLE_SIZE = 256;

/** C.5: responses without Huffman coding. */
export const C5: Block[] = [
  {
    hex: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
          2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
    fields: RES1, table: U1, size: 222,
  },
  { hex: "4803 3330 37c1 c0bf", fields: RES2, table: U2, size: 222 },
  {
    hex: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
          54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
          5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
    fields: RES3, table: U3, size: 215,
  },
];

/** C.6: the same responses with Huffman coding. */
export const C6: Block[] = [
  {
    hex: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
          2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
    fields: RES1, table: U1, size: 222,
  },
  { hex: "4883 640e ffc1 c0bf", fields: RES2, table: U2, size: 222 },
  {
    hex: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
          77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
          9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    fields: RES3, table: U3, size: 215,
  },
];
