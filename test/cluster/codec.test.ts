/**
 * The gateway encoding: range ends of prefixes (etcd's GetPrefixRangeEnd), and every field the
 * gateway omits when zero coming back with its default.
 */
import { describe, expect, test } from "bun:test";
import { decodeRange, decodeWatchResponse, prefixEnd } from "../../src/cluster/etcd/codec.ts";
import { decodeTxn } from "../../src/cluster/etcd/txn.ts";

describe("prefixEnd", () => {
  test("increments the last byte of the UTF-8 key; the empty prefix means the whole keyspace", () => {
    expect([...prefixEnd("/a/")]).toEqual([...Buffer.from("/a0")]);
    expect([...prefixEnd("a\u00ff")]).toEqual([0x61, 0xc3, 0xc0]);
    expect([...prefixEnd("")]).toEqual([0]);
  });
});

describe("omitted defaults", () => {
  test("an empty range has no kvs, no count and no more", () => {
    expect(decodeRange({ header: { revision: "7" } })).toEqual({
      header: { clusterId: "", memberId: "", revision: 7, raftTerm: 0 }, kvs: [], more: false, count: 0,
    });
  });
  test("a failed txn has no succeeded; a PUT event has no type; watch_id 0 is absent", () => {
    expect(decodeTxn({ header: {}, responses: [{ response_range: {} }] })).toMatchObject({ succeeded: false, responses: [{ kind: "range" }] });
    const w = decodeWatchResponse({ header: { revision: "9" }, events: [{ kv: { key: btoa("k"), mod_revision: "9" } }] });
    expect(w).toMatchObject({ watchId: "0", created: false, canceled: false, compactRevision: 0 });
    expect(w.events[0]).toMatchObject({ type: "PUT", kv: { key: "k", modRevision: 9, createRevision: 0, version: 0, lease: "0" } });
    expect(w.events[0]!.kv.value.byteLength).toBe(0);
  });
});
