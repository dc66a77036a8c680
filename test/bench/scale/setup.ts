/**
 * What the scale bench needs from the machine and writes for its processes: open-files limits
 * raised for itself (so every child it starts inherits them), an nginx backend listening on several
 * loopback addresses (the node's upstream connections then spread over several destinations and
 * do not run out of ephemeral ports), and the node's config for one listener.
 */
import { readFileSync } from "node:fs";
import { openFilesLimit } from "../peers/procs.ts";

/** Backend addresses: 127.0.2.1 .. 127.0.2.N on one port (28k ephemeral ports each from the node). */
export function backendHosts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.2.${i + 1}`);
}

/**
 * Raises this process's open-files limit (soft and hard) to `wanted`, capped at fs.nr_open, with
 * prlimit; children started afterwards inherit it. Returns the soft limit now in force (lower than
 * wanted when the hard limit could not be raised: that needs root or CAP_SYS_RESOURCE).
 */
export function raiseFdLimit(wanted: number): number {
  const cap = Number(readFileSync("/proc/sys/fs/nr_open", "utf8").trim());
  const n = Math.min(wanted, cap);
  if (openFilesLimit("self") >= n) return openFilesLimit("self");
  const r = Bun.spawnSync(["prlimit", "--pid", String(process.pid), `--nofile=${n}:${n}`], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) {
    // Without the privilege to raise the hard limit, take the soft one up to it.
    const hard = /^Max open files\s+\S+\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
    if (hard) Bun.spawnSync(["prlimit", "--pid", String(process.pid), `--nofile=${hard}:${hard}`]);
    console.warn(`  !! could not raise the open-files limit to ${n} (${r.stderr.toString().trim()}); run as root or raise it first (ulimit -n ${n})`);
  }
  return openFilesLimit("self");
}

/** nginx serving `dir`/body on every host of `hosts` at `port`, keeping idle connections an hour. */
export function scaleNginx(dir: string, hosts: readonly string[], port: number, connections: number): string {
  const listens = hosts.map((h) => `listen ${h}:${port};`).join(" ");
  return [
    `daemon off; master_process off; worker_processes 1; pid ${dir}/scale-b.pid; error_log ${dir}/scale-b.err;`,
    `worker_rlimit_nofile ${connections + 1000};`,
    `events { worker_connections ${connections + 1000}; }`,
    `http { access_log off; keepalive_timeout 3600s; keepalive_requests 1000000;`,
    ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${t};`).join(" "),
    `  server { ${listens} root ${dir}; default_type text/plain; location = / { try_files /body =404; } } }`,
    "",
  ].join("\n");
}

/**
 * One listener (`protocol` tcp or http) on 127.0.0.1:`port` with an hour's idle timeout, in front
 * of a round_robin pool of the backends; `limit` is what the node must hold: the listener's
 * max_connections (default 65,536, tcp and http alike) and the pool's circuit breaker (default 1,024 upstream
 * connections) are raised to it, the two node-side limits that stop 100,000 connections.
 */
export function scaleFulcrumYaml(protocol: "tcp" | "http", port: number, backends: readonly string[], limit: number): string {
  const max = `, max_connections: ${limit}`;
  return [
    "listeners:",
    `  - { name: scale, protocol: ${protocol}, address: "127.0.0.1:${port}", pool: app, idle_timeout_ms: 3600000${max} }`,
    "pools:",
    "  - name: app",
    "    algorithm: round_robin",
    `    circuit_breaker: { max_connections: ${limit}, max_pending_requests: ${limit}, max_requests: ${limit} }`,
    "    backends:",
    ...backends.map((b) => `      - { address: "${b}" }`),
    "",
  ].join("\n");
}

/** TcpExt ListenOverflows so far, machine-wide (/proc/net/netstat): SYNs dropped on a full accept queue. */
export function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  const i = lines.findIndex((l) => l.startsWith("TcpExt:"));
  const names = lines[i]!.split(/\s+/), values = lines[i + 1]!.split(/\s+/);
  return Number(values[names.indexOf("ListenOverflows")]);
}
