/**
 * What every subcommand accepts, declared once: the parser (args.ts) reads the options from here
 * and the help (help.ts) prints them, so `fulcrum start --help` can never list a flag that
 * `fulcrum start` refuses. Kept free of imports so `help` loads nothing heavy.
 */

/** One option: `--name VALUE` (string) or `--name` (boolean), with an optional one-letter alias. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** The value's placeholder in help ("FILE"); string options only. */
  readonly value?: string;
  readonly help: string;
}

/** One subcommand. */
export interface CommandSpec {
  readonly name: string;
  /** Positional arguments as the synopsis shows them ("FILE", "KEY[=WEIGHT]..."). */
  readonly args?: string;
  /** One line for the command list. */
  readonly summary: string;
  /** More lines for `fulcrum COMMAND --help`. */
  readonly details?: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
}

const ADMIN_URL: OptionSpec = { type: "string", value: "URL", help: "the node's admin API (default FULCRUM_ADMIN, else 127.0.0.1:9901)" };
const TOKEN_FILE: OptionSpec = { type: "string", value: "PATH", help: "file whose first line is the admin token (default FULCRUM_ADMIN_TOKEN)" };

export const START = {
  name: "start",
  summary: "run a node",
  details: [
    "The database is the running state; --config is an input applied to it before anything serves.",
    "Signals: SIGTERM/SIGINT drain and stop (exit 0); SIGHUP re-reads --config and applies it as",
    "`apply` would (an invalid file changes nothing); SIGUSR1 reopens the access log files.",
    "With --cluster the config lives in etcd and --db holds this node's mirror of it, which the",
    "node starts and serves from while etcd is unreachable (writes then get 503).",
  ],
  options: {
    config: { type: "string", short: "c", value: "FILE", help: "apply this config file (YAML or JSON) at start and on SIGHUP" },
    force: { type: "boolean", help: "with --config: apply it even over changes made through the API since it was last applied" },
    db: { type: "string", value: "PATH", help: "SQLite database (default FULCRUM_DB, else ./fulcrum.db)" },
    admin: { type: "string", value: "HOST:PORT", help: "admin API address (default FULCRUM_ADMIN, else 127.0.0.1:9901; port 0 = any)" },
    "admin-token-file": { type: "string", value: "PATH", help: "require this bearer token (first line of the file) on the admin API" },
    metrics: { type: "string", value: "HOST:PORT", help: "serve /metrics, /readyz and /healthz here without the admin token" },
    "drain-timeout-ms": { type: "string", value: "MS", help: "how long SIGTERM waits for requests in flight (default 25000)" },
    "log-format": { type: "string", value: "text|json", help: "event log lines as text (default) or one JSON object a line" },
    workers: { type: "string", value: "N", help: "worker threads, each with its own listening sockets (default: the number of cores; 1 = one thread)" },
    cluster: { type: "string", value: "URLS", help: "join a cluster: etcd client URLs, comma-separated (default FULCRUM_CLUSTER)" },
    node: { type: "string", value: "NAME", help: "with --cluster: this node's name, unique among live nodes (default FULCRUM_NODE)" },
    "cluster-prefix": { type: "string", value: "PREFIX", help: "with --cluster: the cluster's keys in etcd (default /fulcrum/v1/)" },
    "lease-ttl": { type: "string", value: "S", help: "with --cluster: a dead node leaves the cluster this long after (default 10, min 2)" },
    "etcd-timeout-ms": { type: "string", value: "MS", help: "with --cluster: how long a write waits for etcd before 503 (default 5000)" },
    "etcd-progress-ms": { type: "string", value: "MS", help: "with --cluster: etcd's --experimental-watch-progress-notify-interval (default 5000)" },
  },
} as const satisfies CommandSpec;

export const UPGRADE = {
  name: "upgrade",
  summary: "replace a running node's binary without closing a port (SIGUSR2 does it too)",
  details: [
    "The node starts the new binary on its listening sockets (no port is ever closed, no connection",
    "waiting on one is lost), the new node serves on the same database and admin address, the old",
    "one drains within its --drain-timeout-ms and exits 0. If the new one does not serve, the old",
    "one says why and serves on. Asked over the node's local control socket (same user only).",
  ],
  options: {
    binary: { type: "string", value: "PATH", help: "the new binary (default: the node's own, as now on disk)" },
    pid: { type: "string", value: "PID", help: "the node's process id (default: asked of the admin API)" },
    admin: ADMIN_URL,
    "admin-token-file": TOKEN_FILE,
  },
} as const satisfies CommandSpec;

export const VALIDATE = {
  name: "validate",
  args: "FILE|-",
  summary: "check a config file (YAML or JSON) offline; - reads stdin",
  details: [
    "Exit 0 with `ok` (and any warnings), 1 with every error and its path.",
    "Warnings: a route that can never match, a pool nothing uses or without backends,",
    "a certificate that expires within 30 days. --strict makes a warning an error.",
  ],
  options: {
    strict: { type: "boolean", help: "fail (exit 1) on warnings too" },
  },
} as const satisfies CommandSpec;

export const APPLY = {
  name: "apply",
  args: "-f FILE",
  summary: "send a config file to a running node; prints the diff and the revision",
  options: {
    file: { type: "string", short: "f", value: "FILE", help: "the config file (YAML or JSON); - reads stdin" },
    admin: ADMIN_URL,
    "admin-token-file": TOKEN_FILE,
    "dry-run": { type: "boolean", help: "validate and show the diff; change nothing" },
  },
} as const satisfies CommandSpec;

export const EXPORT = {
  name: "export",
  summary: "print the running config as YAML (export, then apply, changes nothing)",
  options: { admin: ADMIN_URL, "admin-token-file": TOKEN_FILE },
} as const satisfies CommandSpec;

export const STATUS = {
  name: "status",
  summary: "listeners, pools, backends, health, req/s and errors of a running node",
  options: {
    admin: ADMIN_URL,
    "admin-token-file": TOKEN_FILE,
    watch: { type: "boolean", short: "w", help: "redraw until Ctrl-C" },
    interval: { type: "string", value: "S", help: "seconds between redraws with --watch (default 2)" },
  },
} as const satisfies CommandSpec;

export const DEMO = {
  name: "demo",
  summary: "three demo backends behind a proxy (--nodes 3: a cluster), and commands to try",
  options: {
    port: { type: "string", short: "p", value: "N", help: "the demo proxy's port (default 8080; 0 = any free one)" },
    admin: { type: "string", value: "HOST:PORT", help: "admin API address (default FULCRUM_ADMIN, else 127.0.0.1:9901)" },
    db: { type: "string", value: "PATH", help: "keep the demo's config in this database (default: in memory)" },
    nodes: { type: "string", value: "N", help: "a cluster of N nodes (2-5) sharing one config through a local etcd (etcd must be on PATH)" },
  },
} as const satisfies CommandSpec;

export const MAGLEV = {
  name: "maglev",
  args: "KEY[=WEIGHT]...",
  summary: 'print a Maglev table as JSON: {"table":[...],"counts":{...}}',
  details: ["KEY is the backend key hashed (Envoy hashes \"ip:port\"); WEIGHT a whole number, default 1 (0 = no slots)."],
  options: {
    size: { type: "string", value: "M", help: "prime table size (default 65537)" },
  },
} as const satisfies CommandSpec;

export const VERSION = { name: "version", summary: "print the version (also --version, -v)", options: {} } as const satisfies CommandSpec;

export const HELP = { name: "help", args: "[COMMAND]", summary: "print this help, or a command's (also --help, -h)", options: {} } as const satisfies CommandSpec;

/** Every subcommand, in the order help lists them. */
export const SPECS: readonly CommandSpec[] = [START, UPGRADE, VALIDATE, APPLY, EXPORT, STATUS, DEMO, MAGLEV, VERSION, HELP];
