/**
 * The peers bench's parts that can be checked quickly: wrk output parsing (a real wrk run's text,
 * errors included) and that nginx and HAProxy accept the generated configs (`nginx -t`,
 * `haproxy -c`), so a config regression shows up in the suite rather than mid-bench; and that the
 * bare relay used as the ceiling reference really relays.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, hasBinary } from "../../l4/helpers/peers.ts";
import { fulcrumYaml, haproxy, nginxBackends, nginxLb, type PeerPorts } from "./configs.ts";
import { parseWrk, toMs } from "./wrk.ts";

const WRK_OUT = `Running 1s test @ http://127.0.0.1:18555/nonexist
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     4.09ms    3.30ms  26.73ms   89.01%
    Req/Sec     1.08k   347.74     1.60k    60.00%
  Latency Distribution
     50%  812.00us
     75%    4.75ms
     90%    7.53ms
     99%    1.20s
  1072 requests in 1.00s, 544.38KB read
  Socket errors: connect 0, read 3, write 0, timeout 0
  Non-2xx or 3xx responses: 1072
Requests/sec:   1069.13
Transfer/sec:    542.92KB
`;

const PORTS: PeerPorts = {
  backends: [41001, 41002, 41003], nginxHttp: 41010, nginxTcp: 41011, haproxyHttp: 41012, haproxyTcp: 41013, fulcrumHttp: 41014, fulcrumTcp: 41015, bareRelay: 41016,
};

describe("peers bench", () => {
  test("parses req/s, percentiles in us/ms/s and the error lines of wrk's output", () => {
    const r = parseWrk(WRK_OUT);
    expect(r).toEqual({
      rps: 1069.13,
      p50Ms: 0.812,
      p99Ms: 1200,
      requests: 1072,
      errors: ["Socket errors: connect 0, read 3, write 0, timeout 0", "Non-2xx or 3xx responses: 1072"],
    });
    expect(toMs("2.00m")).toBe(120_000);
    expect(() => parseWrk("unable to connect to 127.0.0.1:1 Connection refused")).toThrow(/without req\/s/);
  });

  test("writes a Fulcrum config with one http and one tcp listener over a round_robin pool", () => {
    const y = fulcrumYaml(41014, 41015, PORTS.backends);
    expect(y).toContain('{ name: http, protocol: http, address: "127.0.0.1:41014", pool: app }');
    expect(y).toContain('{ name: tcp, protocol: tcp, address: "127.0.0.1:41015", pool: app }');
    expect(y.match(/address: "127\.0\.0\.1:4100\d"/g)).toHaveLength(3);
    expect(fulcrumYaml(1, null, [2], 300_000)).not.toContain("protocol: tcp");
  });

  test.skipIf(!hasBinary("nginx") || !hasBinary("haproxy"))("nginx and HAProxy accept the generated configs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "fulcrum-peers-test-"));
    try {
      writeFileSync(join(dir, "backends.conf"), nginxBackends(dir, PORTS.backends));
      writeFileSync(join(dir, "lb.conf"), nginxLb(dir, PORTS, null));
      writeFileSync(join(dir, "haproxy.cfg"), haproxy(PORTS));
      const check = async (argv: string[]) => {
        const p = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
        const err = await new Response(p.stderr).text();
        return { code: await p.exited, err };
      };
      for (const conf of ["backends.conf", "lb.conf"]) {
        const r = await check(["nginx", "-t", "-p", dir, "-c", join(dir, conf)]);
        expect(r.err).toContain("test is successful");
        expect(r.code).toBe(0);
      }
      expect((await check(["haproxy", "-c", "-f", join(dir, "haproxy.cfg")])).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test("the bare relay (the ceiling reference) carries keep-alive requests both ways, spread over the backends", async () => {
  const seen: number[] = [];
  const origins = [0, 1].map((i) =>
    Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s, d) {
          for (let at = d.indexOf("\r\n\r\n"); at >= 0; at = d.indexOf("\r\n\r\n", at + 4)) {
            seen.push(i);
            s.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${i}`);
          }
        },
      },
    }),
  );
  const port = freePort();
  const relay = Bun.spawn([process.execPath, join(import.meta.dir, "bare-relay.ts"), String(port), ...origins.map((o) => String(o.port))], { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = relay.stdout.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain("ready");
    reader.releaseLock();
    // One raw client connection, two requests one after the other: returns the two bodies.
    const twoRequests = async (): Promise<string> => {
      let got = "";
      const { promise, resolve } = Promise.withResolvers<string>();
      const sock = await Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          data(s, d) {
            got += d.toString("latin1");
            const answers = got.split("HTTP/1.1 200 OK").length - 1;
            if (answers === 1 && got.endsWith("\r\n\r\n" + got.at(-1))) s.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
            if (answers === 2) resolve(got.replace(/HTTP[^]*?\r\n\r\n/g, ""));
          },
        },
      });
      sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
      const timer = setTimeout(() => resolve(`timed out with ${JSON.stringify(got)}`), 3000);
      const bodies = await promise;
      clearTimeout(timer);
      sock.end();
      return bodies;
    };
    const first = await twoRequests();
    const second = await twoRequests();
    // keep-alive: both requests of a connection reach its one backend; the next connection, the next backend
    expect([first, second].sort()).toEqual(["00", "11"]);
    expect(seen.length).toBe(4);
  } finally {
    relay.kill();
    await relay.exited;
    origins.forEach((o) => o.stop(true));
  }
});
