/**
 * DnsDiscovery over a real SnapshotHolder and dnsmasq: the TTL shortens a long interval, an empty
 * answer keeps the last good set, a backend that left comes back before its drain ends, a
 * changed name starts afresh, and stop takes the overlay off.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { compileSnapshot, SnapshotHolder, validateConfig } from "../../src/config/index.ts";
import { DnsDiscovery } from "../../src/discovery/index.ts";
import { Registry } from "../../src/obs/index.ts";
import { startDnsmasq, stopAllDnsmasq, type Dnsmasq } from "../helpers/dnsmasq.ts";

let dns: Dnsmasq;
const discoveries: DnsDiscovery[] = [];

beforeAll(async () => {
  dns = await startDnsmasq({ hosts: "127.0.0.11 app.internal\n127.0.0.12 other.internal\n", ttl: 1 });
});

afterAll(async () => {
  for (const d of discoveries) d.stop();
  await stopAllDnsmasq();
});

function config(discovery: object, revision = 1) {
  return compileSnapshot(validateConfig({ pools: [{ name: "app", discovery: { port: 80, resolvers: [dns.address], ...discovery } }] }), revision);
}

function start(holder: SnapshotHolder, lines: string[] = []): DnsDiscovery {
  const d = new DnsDiscovery({ holder, metrics: new Registry(), log: (l) => lines.push(l) });
  discoveries.push(d);
  return d;
}

const addresses = (h: SnapshotHolder) => h.current()!.pools.app!.backends.map((b) => `${b.address} ${b.state}`);

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

describe("DnsDiscovery", () => {
  test("a one-second TTL brings a change in well before a one-minute interval", async () => {
    const holder = new SnapshotHolder();
    holder.publish(config({ dns: "app.internal", interval_ms: 60_000 }));
    const d = start(holder);
    await d.ready(2000);
    expect(addresses(holder)).toEqual(["127.0.0.11:80 active"]);
    await dns.setHosts("127.0.0.11 app.internal\n127.0.0.13 app.internal\n127.0.0.12 other.internal\n");
    await until(() => addresses(holder).includes("127.0.0.13:80 active"), 4000);
    expect(holder.current()!.revision).toBe(1);
    d.stop();
  });

  test("an empty answer keeps the last good set; a backend back before its drain ends is active again", async () => {
    await dns.setHosts("127.0.0.11 app.internal\n127.0.0.13 app.internal\n127.0.0.12 other.internal\n");
    const holder = new SnapshotHolder();
    holder.publish(config({ dns: "app.internal", interval_ms: 150, drain_ms: 60_000 }));
    const lines: string[] = [];
    const d = start(holder, lines);
    await d.ready(2000);
    await until(() => addresses(holder).length === 2, 2000);
    await dns.setHosts("127.0.0.12 other.internal\n");
    await until(() => (d.state("app")?.failures ?? 0) >= 2, 4000);
    expect(addresses(holder)).toEqual(["127.0.0.11:80 active", "127.0.0.13:80 active"]);
    expect(d.state("app")!.last_error).toContain("NXDOMAIN");
    expect(lines.filter((l) => l.includes("failed")).length).toBe(1); // the same failure is not logged again within a minute
    await dns.setHosts("127.0.0.11 app.internal\n127.0.0.12 other.internal\n");
    await until(() => addresses(holder).includes("127.0.0.13:80 draining"), 4000);
    await dns.setHosts("127.0.0.11 app.internal\n127.0.0.13 app.internal\n127.0.0.12 other.internal\n");
    await until(() => addresses(holder).includes("127.0.0.13:80 active"), 4000);
    expect(lines.some((l) => l.includes("127.0.0.13:80 is back in the answer"))).toBe(true);
    expect(lines.some((l) => l.includes("app.internal (A) answers again"))).toBe(true);
    d.stop();
  });

  test("a changed name starts afresh; stopping takes the found backends out of the snapshot", async () => {
    const holder = new SnapshotHolder();
    holder.publish(config({ dns: "app.internal", interval_ms: 150 }));
    const d = start(holder);
    await d.ready(2000);
    expect(addresses(holder)).toContain("127.0.0.11:80 active");
    holder.publish(config({ dns: "other.internal", interval_ms: 150 }, 2));
    expect(addresses(holder)).toEqual([]); // nothing of app.internal is served under the new name
    await until(() => addresses(holder).join() === "127.0.0.12:80 active", 3000);
    d.stop();
    expect(addresses(holder)).toEqual([]);
  });
});
