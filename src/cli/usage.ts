/** The usage text printed by `fulcrum help` and for an unknown command (exit 2). */
export const USAGE = `fulcrum: a distributed L4/L7 load balancer

usage:
  fulcrum start [--config FILE] [--db PATH] [--admin HOST:PORT] [--admin-token-file PATH]
                [--drain-timeout-ms MS]
                                  run a node (db: FULCRUM_DB or ./fulcrum.db; admin: FULCRUM_ADMIN or 127.0.0.1:9901)
  fulcrum validate FILE           check a config file (YAML or JSON) offline
  fulcrum apply -f FILE [--admin URL] [--dry-run]
                                  send a config file to a running node, print the diff and the revision
  fulcrum export [--admin URL]    print the running config as YAML
  fulcrum status [--admin URL] [--watch] [--interval S]
                                  listeners, pools, backends, health, req/s and errors; --watch redraws
                                  (apply/export/status: token from FULCRUM_ADMIN_TOKEN or --admin-token-file)
  fulcrum maglev --size M KEY[=WEIGHT]...   print a Maglev table as JSON
  fulcrum demo [--port 8080] [--admin HOST:PORT] [--db PATH]
                                  three demo backends behind a proxy, and curl commands to try
  fulcrum version
  fulcrum help
`;
