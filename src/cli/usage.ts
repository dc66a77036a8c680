/** The usage text printed by `fulcrum help` and for an unknown command (exit 2). */
export const USAGE = `fulcrum: a distributed L4/L7 load balancer

usage:
  fulcrum start [--config FILE] [--db PATH] [--admin HOST:PORT]
  fulcrum validate FILE
  fulcrum apply -f FILE [--admin URL]
  fulcrum export [--admin URL]
  fulcrum maglev --size M KEY[=WEIGHT]...   print a Maglev table as JSON
  fulcrum version
  fulcrum help
`;
