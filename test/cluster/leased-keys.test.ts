/**
 * LeasedKeys against real etcd: keys survive an etcd outage longer than the TTL (etcd revives
 * leases when it elects a leader, so no re-grant is needed); a lease lost behind the keeper's back
 * is re-granted and every key (more than one txn's worth) put again; deletes and exclusive keys.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { LeasedKeys, type EtcdClient, type KeyValue } from "../../src/cluster/index.ts";
import { startEtcd, stopAllEtcd, type EtcdMember } from "./helpers/etcd.ts";
import { testClient, until } from "./helpers/mirrors.ts";

let etcd: EtcdMember;
let client: EtcdClient;
const keepers: LeasedKeys[] = [];

beforeAll(async () => {
  etcd = await startEtcd();
  client = testClient([etcd.url]);
});

afterAll(async () => {
  await Promise.all(keepers.map((k) => k.stop({ revoke: false })));
  client.close();
  await stopAllEtcd();
});

async function keeper(opts: Partial<ConstructorParameters<typeof LeasedKeys>[0]> = {}) {
  const k = new LeasedKeys({ client, ttlS: 2, ...opts });
  keepers.push(k);
  await k.start();
  return k;
}

const count = async (prefix: string) => (await client.range(prefix, { prefix: true, countOnly: true })).count;

test("keys under the lease outlive an etcd outage longer than the TTL", async () => {
  const k = await keeper();
  k.set("/lk1/a", "1");
  expect(await k.flushed(5000)).toBe(true);
  await etcd.kill();
  await Bun.sleep(3000);
  await etcd.restart();
  // etcd revives the lease with a fresh TTL on election; the keepalive loop picks it up again.
  await Bun.sleep(3000);
  expect(await count("/lk1/")).toBe(1);
  expect(k.status.grants).toBe(1);
}, 20_000);

test("a lost lease is re-granted and every key put again, more keys than etcd takes in one txn (128)", async () => {
  const k = await keeper();
  for (let i = 0; i < 300; i++) k.set(`/lk2/${String(i).padStart(3, "0")}`, String(i));
  expect(await k.flushed(5000)).toBe(true);
  expect(await count("/lk2/")).toBe(300);
  const lost = k.leaseId;
  await client.leaseRevoke(lost);
  expect(await count("/lk2/")).toBe(0);
  await until(async () => k.status.grants === 2 && (await count("/lk2/")) === 300, 5000, "keys put again under a new lease");
  expect(k.leaseId).not.toBe(lost);
  k.delete("/lk2/000");
  k.set("/lk2/001", "changed");
  expect(await k.flushed(5000)).toBe(true);
  expect(await count("/lk2/")).toBe(299);
  expect(new TextDecoder().decode((await client.range("/lk2/001")).kvs[0]!.value)).toBe("changed");
});

test("an exclusive key held by another lease is not overwritten: the holder is reported", async () => {
  const first = await keeper();
  first.set("/lk3/name", "first", { exclusive: true });
  expect(await first.flushed(5000)).toBe(true);
  const conflicts: KeyValue[] = [];
  const second = await keeper({ onConflict: (_, holder) => conflicts.push(holder) });
  second.set("/lk3/name", "second", { exclusive: true });
  expect(await second.flushed(5000)).toBe(true);
  expect(conflicts.map((kv) => kv.lease)).toEqual([first.leaseId]);
  expect(new TextDecoder().decode((await client.range("/lk3/name")).kvs[0]!.value)).toBe("first");
  // Its own exclusive key is updated in place.
  first.set("/lk3/name", "first again", { exclusive: true });
  expect(await first.flushed(5000)).toBe(true);
  expect(new TextDecoder().decode((await client.range("/lk3/name")).kvs[0]!.value)).toBe("first again");
});
