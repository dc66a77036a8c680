/**
 * The L4 data plane end to end, through the real `fulcrum start` process: a config file with tcp
 * and udp listeners, real echo backends on loopback, changes through the admin API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { echoBackend } from "../l4/helpers/backends.ts";
import { killAll, startFulcrum, type StartedNode } from "../helpers/process.ts";

const dir = mkdtempSync(join(tmpdir(), "fulcrum-l4-"));
const backends = [echoBackend("b0|"), echoBackend("b1|"), echoBackend("b2|")];
const udpBackends: dgram.Socket[] = [];
let node: StartedNode;
let tcpPort = 0;
let udpPort = 0;

async function udpEcho(tag: string): Promise<number> {
  const s = dgram.createSocket("udp4");
  s.on("message", (msg, rinfo) => s.send(Buffer.concat([Buffer.from(tag), msg]), rinfo.port, rinfo.address));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  udpBackends.push(s);
  return s.address().port;
}

/** Opens a connection through the tcp listener, sends `msg`, returns the first reply (tag + echo). */
function exchange(port: number, msg: string, keepOpen = false): Promise<{ reply: string; close: () => void; onClose: (fn: () => void) => void }> {
  return new Promise((resolve, reject) => {
    let got = "";
    let onClose: () => void = () => {};
    const timer = setTimeout(() => reject(new Error("no reply in time")), 5000);
    void Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s) => void s.write(msg),
        data(s, d) {
          got += d.toString();
          if (got.endsWith(msg)) {
            clearTimeout(timer);
            if (!keepOpen) s.end();
            resolve({ reply: got, close: () => s.end(), onClose: (fn) => void (onClose = fn) });
          }
        },
        close: () => {
          clearTimeout(timer);
          onClose();
        },
        connectError: (_s, e) => reject(e),
      },
    });
  });
}

async function status(): Promise<any> {
  return await (await fetch(`${node.url}/v1/status`)).json();
}

async function until(cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(20);
  }
}

beforeAll(async () => {
  const u0 = await udpEcho("u0|");
  const u1 = await udpEcho("u1|");
  const config = {
    listeners: [
      { name: "tcp-in", protocol: "tcp", address: "127.0.0.1:0", pool: "echo" },
      { name: "udp-in", protocol: "udp", address: "127.0.0.1:0", pool: "udp-echo", idle_timeout_ms: 300 },
    ],
    pools: [
      { name: "echo", algorithm: "round_robin", backends: backends.map((b) => ({ address: `127.0.0.1:${b.port}` })) },
      { name: "udp-echo", algorithm: "maglev", hash_on: "five_tuple", backends: [{ address: `127.0.0.1:${u0}` }, { address: `127.0.0.1:${u1}` }] },
    ],
  };
  writeFileSync(join(dir, "fulcrum.json"), JSON.stringify(config));
  node = await startFulcrum(["--config", join(dir, "fulcrum.json"), "--db", join(dir, "fulcrum.db")]);
  const st = await status();
  const port = (name: string) => Number(st.listeners.find((l: any) => l.name === name).address.split(":").pop());
  tcpPort = port("tcp-in");
  udpPort = port("udp-in");
});

afterAll(async () => {
  await killAll();
  backends.forEach((b) => b.stop(true));
  udpBackends.forEach((s) => s.close());
});

describe("tcp listener through a real node", () => {
  test("round robin spreads connections evenly over the three backends", async () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const { reply } = await exchange(tcpPort, `hello-${i}`);
      const tag = reply.slice(0, 3);
      counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    expect([...counts.entries()].sort()).toEqual([["b0|", 10], ["b1|", 10], ["b2|", 10]]);
  });

  test("an open connection is counted in /v1/status from the connection-tracking table", async () => {
    const held = await exchange(tcpPort, "hold", true);
    const tag = held.reply.slice(0, 2);
    const addr = `127.0.0.1:${backends[Number(tag[1])]!.port}`;
    const count = async () => (await status()).pools.find((p: any) => p.name === "echo").backends.find((b: any) => b.address === addr).active_connections;
    expect(await count()).toBe(1);
    held.close();
    await until(async () => (await count()) === 0, 3000);
  });

  test("a dead backend's connect failure goes to another backend", async () => {
    const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const deadAddr = `127.0.0.1:${dead.port}`;
    dead.stop(true);
    const res = await fetch(`${node.url}/v1/pools/echo/backends`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ address: deadAddr }),
    });
    expect(res.status).toBe(201);
    for (let i = 0; i < 12; i++) {
      const { reply } = await exchange(tcpPort, `retry-${i}`);
      expect(reply).toMatch(/^b[012]\|retry-/);
    }
    const st = await status();
    expect(st.pools.find((p: any) => p.name === "echo").backends.find((b: any) => b.address === deadAddr).failures_total).toBeGreaterThan(0);
    await fetch(`${node.url}/v1/pools/echo/backends/${encodeURIComponent(deadAddr)}`, { method: "DELETE" });
  });

  test("a draining backend gets no new connections while its open one keeps working", async () => {
    const held = await exchange(tcpPort, "stay", true);
    const tag = held.reply.slice(0, 3);
    const addr = `127.0.0.1:${backends[Number(tag[1])]!.port}`;
    const res = await fetch(`${node.url}/v1/pools/echo/backends/${encodeURIComponent(addr)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ state: "draining" }),
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < 10; i++) {
      const { reply } = await exchange(tcpPort, `new-${i}`);
      expect(reply.startsWith(tag)).toBe(false);
    }
    held.close();
    await fetch(`${node.url}/v1/pools/echo/backends/${encodeURIComponent(addr)}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ state: "active" }),
    });
  });
});

describe("disabling a backend", () => {
  test("closes its open connections at once and sends new ones elsewhere", async () => {
    const held = await exchange(tcpPort, "doomed", true);
    const tag = held.reply.slice(0, 3);
    const addr = `127.0.0.1:${backends[Number(tag[1])]!.port}`;
    const closed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 3000);
      held.onClose(() => (clearTimeout(timer), resolve(true)));
    });
    const patch = (state: string) =>
      fetch(`${node.url}/v1/pools/echo/backends/${encodeURIComponent(addr)}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ state }),
      });
    expect((await patch("disabled")).status).toBe(200);
    expect(await closed).toBe(true);
    for (let i = 0; i < 6; i++) expect((await exchange(tcpPort, `after-${i}`)).reply.startsWith(tag)).toBe(false);
    expect((await patch("active")).status).toBe(200);
  });
});

describe("udp listener through a real node", () => {
  test("every client's datagrams stay on one backend and replies come back to that client", async () => {
    const clients = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const s = dgram.createSocket("udp4");
        await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
        return s;
      }),
    );
    const tags = await Promise.all(
      clients.map(async (s, i) => {
        const seen = new Set<string>();
        for (let k = 0; k < 3; k++) {
          const msg = `c${i}-${k}`;
          const reply = await new Promise<string>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`no udp reply for ${msg}`)), 3000);
            s.once("message", (m) => {
              clearTimeout(timer);
              resolve(m.toString());
            });
            s.send(msg, udpPort, "127.0.0.1");
          });
          expect(reply.slice(3)).toBe(msg);
          seen.add(reply.slice(0, 3));
        }
        return [...seen];
      }),
    );
    clients.forEach((s) => s.close());
    for (const t of tags) expect(t.length).toBe(1);
    // The Maglev pool spreads 40 flows over both backends.
    expect(new Set(tags.map((t) => t[0])).size).toBe(2);
  });
});
