/**
 * Reads every key under a prefix at ONE revision, page by page: the first page fixes R (its header
 * revision) and every later page is pinned to `revision: R`, so the result is one consistent cut
 * however many pages it takes (ETCD-NOTES §6.3 step 5). If R is compacted mid-read, it starts over.
 */
import type { EtcdClient } from "./client.ts";
import { prefixEnd } from "./codec.ts";
import { EtcdError } from "./errors.ts";
import type { Header, KeyValue } from "./types.ts";

export interface PrefixRead {
  /** The revision every key was read at. */
  revision: number;
  header: Header;
  kvs: KeyValue[];
  /** Bytes of keys and values read (decoded, not base64). */
  bytes: number;
  pages: number;
}

const RESTARTS = 5;

/** All of `prefix` at one revision; `pageSize` keys per request (default 500). */
export async function readPrefix(client: EtcdClient, prefix: string, pageSize = 500): Promise<PrefixRead> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await readOnce(client, prefix, pageSize);
    } catch (e) {
      if (!(e instanceof EtcdError && e.compacted) || attempt >= RESTARTS) throw e;
    }
  }
}

async function readOnce(client: EtcdClient, prefix: string, pageSize: number): Promise<PrefixRead> {
  const end = prefixEnd(prefix);
  const first = await client.range(prefix, { rangeEnd: end, limit: pageSize });
  const out: PrefixRead = { revision: first.header.revision, header: first.header, kvs: first.kvs, bytes: 0, pages: 1 };
  let more = first.more;
  while (more && out.kvs.length > 0) {
    const from = out.kvs[out.kvs.length - 1]!.key + "\0";
    const page = await client.range(from, { rangeEnd: end, limit: pageSize, revision: out.revision });
    out.kvs.push(...page.kvs);
    out.pages++;
    more = page.more;
  }
  for (const kv of out.kvs) out.bytes += Buffer.byteLength(kv.key) + kv.value.byteLength;
  return out;
}
