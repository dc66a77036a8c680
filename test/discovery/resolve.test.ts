/** One discovery lookup against dnsmasq on loopback: A/AAAA/CNAME/SRV, TTLs, and each way DNS can fail. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createSocket, type Socket } from "node:dgram";
import type { SnapshotDiscovery } from "../../src/config/index.ts";
import { DnsError, resolveDiscovery, type ResolverAddress } from "../../src/discovery/index.ts";
import { startDnsmasq, stopAllDnsmasq, type Dnsmasq } from "../helpers/dnsmasq.ts";

let dns: Dnsmasq;
let server: ResolverAddress;
/** A UDP socket that reads queries and never answers: a resolver that times out. */
let silent: Socket;
let silentAt: ResolverAddress;

beforeAll(async () => {
  dns = await startDnsmasq({
    hosts: ["127.0.0.12 app.internal", "127.0.0.11 app.internal", "::1 app6.internal", "127.0.0.21 b1.internal", "127.0.0.22 b2.internal", "127.0.0.23 b3.internal"].join("\n"),
    srv: [
      "_http._tcp.svc.internal,b1.internal,8081,0,10",
      "_http._tcp.svc.internal,b2.internal,8082,0,3000",
      "_http._tcp.svc.internal,b3.internal,8083,5,10",
      "_http._tcp.gone.internal,nothing.internal,8084,0,10",
    ],
    conf: ["cname=alias.internal,app.internal"],
    ttl: 7,
  });
  server = { host: "127.0.0.1", port: dns.port };
  silent = createSocket("udp4");
  await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
  silentAt = { host: "127.0.0.1", port: silent.address().port };
});

afterAll(async () => {
  silent?.close();
  await stopAllDnsmasq();
});

function spec(name: string, type: SnapshotDiscovery["type"], port = 8080, weight = 1): SnapshotDiscovery {
  return { name, type, port: type === "SRV" ? 0 : port, intervalMs: 1000, resolvers: [], weight, drainMs: 0, key: name };
}

async function failure(p: Promise<unknown>): Promise<DnsError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DnsError) return e;
    throw e;
  }
  throw new Error("resolved, expected a DnsError");
}

describe("resolveDiscovery", () => {
  test("A: every address on the configured port and weight, sorted, with the answer's TTL", async () => {
    const r = await resolveDiscovery(spec("app.internal", "A", 9000, 5), [server]);
    expect(r.targets).toEqual([
      { host: "127.0.0.11", port: 9000, weight: 5 },
      { host: "127.0.0.12", port: 9000, weight: 5 },
    ]);
    expect(r.ttlMs).toBe(7000);
  });

  test("A follows a CNAME to its target's addresses", async () => {
    const r = await resolveDiscovery(spec("alias.internal", "A"), [server]);
    expect(r.targets.map((t) => t.host)).toEqual(["127.0.0.11", "127.0.0.12"]);
  });

  test("AAAA gives IPv6 addresses", async () => {
    const r = await resolveDiscovery(spec("app6.internal", "AAAA", 443), [server]);
    expect(r.targets).toEqual([{ host: "::1", port: 443, weight: 1 }]);
  });

  test("SRV: the lowest priority's targets, each record's port, weights capped at 1000", async () => {
    const r = await resolveDiscovery(spec("_http._tcp.svc.internal", "SRV"), [server]);
    expect(r.targets).toEqual([
      { host: "127.0.0.21", port: 8081, weight: 10 },
      { host: "127.0.0.22", port: 8082, weight: 1000 },
    ]);
    expect(r.ttlMs).toBe(7000);
  });

  test("SRV whose targets have no address is empty, not a pool of nothing", async () => {
    const e = await failure(resolveDiscovery(spec("_http._tcp.gone.internal", "SRV"), [server]));
    expect(e.reason).toBe("empty");
    expect(e.message).toContain("nothing.internal");
  });

  test("a name that does not exist is nxdomain; one without records of the type is empty", async () => {
    expect((await failure(resolveDiscovery(spec("nope.internal", "A"), [server]))).reason).toBe("nxdomain");
    expect((await failure(resolveDiscovery(spec("app6.internal", "A"), [server]))).reason).toBe("empty");
  });

  test("a resolver that never answers times out within its bound; the next one in the list answers", async () => {
    const started = Date.now();
    const e = await failure(resolveDiscovery(spec("app.internal", "A"), [silentAt], { timeoutMs: 100, rounds: 2 }));
    expect(e.reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
    const r = await resolveDiscovery(spec("app.internal", "A"), [silentAt, server], { timeoutMs: 100, rounds: 1 });
    expect(r.targets.length).toBe(2);
  });
});
