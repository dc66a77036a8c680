/**
 * The configurations ../shared/bench/peers.sh writes, generated for ports chosen at run time:
 * three nginx backends (here serving the body from a file, so 64 KiB bodies work: an inline
 * `return 200 "..."` that long is refused by nginx), nginx as the http + stream load balancer,
 * HAProxy in mode http and mode tcp, and Fulcrum with one http and one tcp listener in front of a
 * round_robin pool of the same three backends. One worker / one thread each, as in peers.sh.
 */

/** Every port the side-by-side run uses (all on 127.0.0.1). */
export interface PeerPorts {
  backends: [number, number, number];
  nginxHttp: number;
  nginxTcp: number;
  haproxyHttp: number;
  haproxyTcp: number;
  fulcrumHttp: number;
  fulcrumTcp: number;
  /** The bare Bun relay (bare-relay.ts): the ceiling reference. */
  bareRelay: number;
}

/** nginx keeps its temp files in the run's directory, so it never needs /var/lib/nginx. */
function tempPaths(dir: string): string {
  return ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${t};`).join(" ");
}

/** The three backends: `GET /` answers 200 with the file `dir`/body as text/plain. */
export function nginxBackends(dir: string, ports: readonly number[]): string {
  const server = (p: number) =>
    `  server { listen 127.0.0.1:${p} reuseport; root ${dir}; default_type text/plain; location = / { try_files /body =404; } }`;
  return [
    `daemon off; master_process off; worker_processes 1; pid ${dir}/b.pid; error_log ${dir}/b.err;`,
    "events { worker_connections 4096; }",
    `http { access_log off; keepalive_requests 1000000; ${tempPaths(dir)}`,
    ...ports.map(server),
    "}",
    "",
  ].join("\n");
}

/** nginx as load balancer: http with upstream keepalive 128, and stream when the module exists; `workers` worker processes. */
export function nginxLb(dir: string, p: PeerPorts, streamModule: string | null, workers = 1): string {
  const servers = p.backends.map((b) => `server 127.0.0.1:${b};`).join(" ");
  return [
    streamModule ? `load_module ${streamModule};` : "",
    `daemon off; master_process ${workers > 1 ? "on" : "off"}; worker_processes ${workers}; pid ${dir}/n.pid; error_log ${dir}/n.err;`,
    "events { worker_connections 4096; }",
    `http { access_log off; keepalive_requests 1000000; ${tempPaths(dir)}`,
    `  upstream pool { ${servers} keepalive 128; }`,
    `  server { listen 127.0.0.1:${p.nginxHttp}; location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`,
    streamModule ? `stream { upstream tpool { ${servers} } server { listen 127.0.0.1:${p.nginxTcp}; proxy_pass tpool; } }` : "",
    "",
  ].join("\n");
}

/** HAProxy, `threads` threads (default one): a mode http frontend with http-reuse always, and a mode tcp one. */
export function haproxy(p: PeerPorts, threads = 1): string {
  const servers = p.backends.map((b, i) => `  server s${i + 1} 127.0.0.1:${b}`).join("\n");
  return `global
  nbthread ${threads}
  maxconn 8000
defaults
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend fh
  mode http
  bind 127.0.0.1:${p.haproxyHttp}
  default_backend bh
backend bh
  mode http
  balance roundrobin
  http-reuse always
${servers}
frontend ft
  mode tcp
  bind 127.0.0.1:${p.haproxyTcp}
  default_backend bt
backend bt
  mode tcp
  balance roundrobin
${servers}
`;
}

/**
 * Fulcrum's config, the shape of test/bench/peers.yaml: one http and (when `tcpPort` is given)
 * one tcp listener, a round_robin pool of `backends`. `idleTimeoutMs` sets the http listener's
 * keep-alive idle timeout (the idle-connection run holds connections longer than the default).
 */
export function fulcrumYaml(httpPort: number, tcpPort: number | null, backends: readonly number[], idleTimeoutMs?: number): string {
  const idle = idleTimeoutMs === undefined ? "" : `, idle_timeout_ms: ${idleTimeoutMs}`;
  return [
    "listeners:",
    `  - { name: http, protocol: http, address: "127.0.0.1:${httpPort}", pool: app${idle} }`,
    tcpPort === null ? "" : `  - { name: tcp, protocol: tcp, address: "127.0.0.1:${tcpPort}", pool: app }`,
    "pools:",
    "  - name: app",
    "    algorithm: round_robin",
    "    backends:",
    ...backends.map((b) => `      - { address: "127.0.0.1:${b}" }`),
    "",
  ].filter((l) => l !== "").join("\n") + "\n";
}
