/**
 * A real DNS server for tests: Debian's dnsmasq on 127.0.0.1 and a free port, answering only from
 * its own hosts file and config (no upstream, no /etc/hosts), authoritative for `.internal` (a
 * name it does not have is NXDOMAIN, not REFUSED). `setHosts` rewrites the hosts file and sends
 * SIGHUP (dnsmasq re-reads hosts files on it); SRV records live in its config, which SIGHUP does
 * not reload, so `setSrv` restarts it on the same port. Every instance is stopped by PID, also by
 * stopAllDnsmasq() in afterAll.
 */
import { createSocket } from "node:dgram";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DnsmasqOptions {
  /** hosts-file lines: "127.0.0.11 app.internal". */
  hosts?: string;
  /** srv-host values: "_http._tcp.svc.internal,b1.internal,8081,0,10" (name, target, port, priority, weight). */
  srv?: string[];
  /** TTL of every local answer in seconds (dnsmasq's --local-ttl; default 1). */
  ttl?: number;
  /** More config lines, e.g. "cname=alias.internal,app.internal". */
  conf?: string[];
}

export interface Dnsmasq {
  readonly port: number;
  /** "127.0.0.1:PORT", as a pool's discovery.resolvers takes it. */
  readonly address: string;
  pid(): number;
  /** Rewrites the hosts file and waits until dnsmasq says it read it again. */
  setHosts(hosts: string): Promise<void>;
  /** Replaces the SRV records: a restart on the same port. */
  setSrv(srv: string[]): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<Dnsmasq>();
/** Debian installs it in /usr/sbin, which a non-root PATH may lack. */
const DNSMASQ = Bun.which("dnsmasq") ?? "/usr/sbin/dnsmasq";

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const udp = createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, "127.0.0.1", () => resolve(udp.address().port));
    });
    try {
      const tcp = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      tcp.stop(true);
      return port;
    } catch {
      // The TCP side of this port is taken: try another.
    } finally {
      udp.close();
    }
  }
  throw new Error("no free port for dnsmasq");
}

/** Starts dnsmasq; resolves once it has read its hosts file. */
export async function startDnsmasq(opts: DnsmasqOptions = {}): Promise<Dnsmasq> {
  const dir = mkdtempSync(join(tmpdir(), "fulcrum-dnsmasq-"));
  // dnsmasq drops to "nobody" after binding and re-reads the hosts file as that user.
  chmodSync(dir, 0o755);
  const hostsFile = join(dir, "hosts");
  const confFile = join(dir, "dnsmasq.conf");
  let srv = opts.srv ?? [];
  const writeHosts = (text: string) => {
    writeFileSync(hostsFile, text.endsWith("\n") || text === "" ? text : `${text}\n`);
    chmodSync(hostsFile, 0o644);
  };
  const writeConf = () => {
    writeFileSync(confFile, [...srv.map((s) => `srv-host=${s}`), ...(opts.conf ?? [])].map((l) => `${l}\n`).join(""));
    chmodSync(confFile, 0o644);
  };
  writeHosts(opts.hosts ?? "");
  writeConf();
  const port = await freePort();
  let proc: Bun.Subprocess<"ignore", "pipe", "pipe"> | undefined;
  let log = "";
  const launch = async () => {
    log = "";
    proc = Bun.spawn(
      [DNSMASQ, "--keep-in-foreground", "--log-facility=-", `--port=${port}`, "--listen-address=127.0.0.1", "--bind-interfaces",
        "--no-resolv", "--no-hosts", `--addn-hosts=${hostsFile}`, `--conf-file=${confFile}`, `--local-ttl=${opts.ttl ?? 1}`,
        "--local=/internal/", "--cache-size=0", `--pid-file=${join(dir, "pid")}`],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe" },
    );
    const p = proc;
    void (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of p.stderr) log += decoder.decode(chunk, { stream: true });
    })();
    await waitLog(() => log, /read .*hosts/, 5000, p);
  };
  await launch();
  const reads = () => (log.match(/read .*hosts/g) ?? []).length;
  const stopProc = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    process.kill(p.pid, "SIGTERM");
    const timer = setTimeout(() => p.exitCode === null && process.kill(p.pid, "SIGKILL"), 2000);
    await p.exited;
    clearTimeout(timer);
  };
  const d: Dnsmasq = {
    port,
    address: `127.0.0.1:${port}`,
    pid: () => proc!.pid,
    async setHosts(hosts) {
      const before = reads();
      writeHosts(hosts);
      process.kill(proc!.pid, "SIGHUP");
      await waitLog(() => String(reads() > before), /true/, 5000, proc!);
    },
    async setSrv(records) {
      srv = records;
      writeConf();
      await stopProc();
      await launch();
    },
    async stop() {
      running.delete(d);
      await stopProc();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  running.add(d);
  return d;
}

async function waitLog(text: () => string, re: RegExp, timeoutMs: number, p: Bun.Subprocess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(text())) {
    if (p.exitCode !== null || Date.now() > deadline) throw new Error(`dnsmasq: no ${re} (exit ${p.exitCode}):\n${text()}`);
    await Bun.sleep(10);
  }
}

/** Stops every dnsmasq these helpers started (afterAll). */
export async function stopAllDnsmasq(): Promise<void> {
  await Promise.all([...running].map((d) => d.stop()));
}
