/**
 * The guide `fulcrum demo --nodes N` prints: etcd, the nodes (admin, proxy, pid), the backends,
 * then commands that show a write on one node applied on every node, the same table everywhere,
 * one key on one backend through any node, and a node killed -9 without a failed request. Every
 * command is printed exactly as it runs, with the real ports and PIDs.
 */
import { DEMO_HASH_HEADER, DEMO_NAMES } from "./demo-config.ts";

export interface ClusterGuideInput {
  etcd: { url: string; pid: number };
  nodes: readonly { name: string; adminUrl: string; proxyUrl: string; pid: number }[];
  backends: readonly { name: string; address: string }[];
  /** A backend not in the config yet: the write the guide makes. */
  spare: { name: string; address: string };
  adminAuth: boolean;
  key: string;
  dir: string;
}

/** Returns the guide text (no trailing newline). */
export function clusterGuide(g: ClusterGuideInput): string {
  const admin = g.adminAuth ? `curl -s -H "Authorization: Bearer $FULCRUM_ADMIN_TOKEN"` : "curl -s";
  const first = g.nodes[0]!;
  const victim = g.nodes[1] ?? first;
  const last = g.nodes[g.nodes.length - 1]!;
  const pad = Math.max(...g.nodes.map((n) => n.name.length));
  const body = JSON.stringify({ address: g.spare.address });
  const admins = g.nodes.map((n) => n.adminUrl).join(" ");
  const proxies = g.nodes.map((n) => n.proxyUrl).join(" ");
  return [
    `Fulcrum cluster demo is running (pid ${process.pid}): one etcd and ${g.nodes.length} nodes sharing one config; logs and data in ${g.dir}.`,
    ``,
    `  etcd      ${g.etcd.url}   (pid ${g.etcd.pid})`,
    ...g.nodes.map((n, i) => `  ${i === 0 ? "nodes" : "     "}     ${n.name.padEnd(pad)}  admin ${n.adminUrl}   proxy ${n.proxyUrl}   (pid ${n.pid})`),
    `  pool      "${DEMO_NAMES.pool}": Maglev on the ${DEMO_HASH_HEADER} header; every node checks the backends and builds from the majority's verdict`,
    ...g.backends.map((b, i) => `  ${i === 0 ? "backends" : "        "}  ${b.name}  http://${b.address}`),
    `  client    this demo sends 20 requests a second through the nodes in turn, the next node when one fails`,
    `            (as a client behind DNS or ECMP with retries does), and says here when a node failed`,
    ``,
    `Try these in another terminal:`,
    ``,
    `  1. The cluster as ${last.name} sees it: every node, the revision it applied, its lag:`,
    `     ${admin} ${last.adminUrl}/v1/cluster`,
    `  2. Add ${g.spare.name} through ${first.name}, and wait until every node has applied it ("applied" lists them all):`,
    `     ${admin} -X POST '${first.adminUrl}/v1/pools/${DEMO_NAMES.pool}/backends?wait=applied&timeout_ms=5000' -H 'content-type: application/json' -d '${body}'`,
    `  3. The same Maglev table on every node (one digest, ${g.nodes.length} times):`,
    `     for a in ${admins}; do ${admin} $a/v1/pools/${DEMO_NAMES.pool}/table | grep -o '"digest":"[^"]*"'; done`,
    `  4. The key "${g.key}" lands on the same backend through every node:`,
    `     for p in ${proxies}; do curl -s -H '${DEMO_HASH_HEADER}: ${g.key}' $p/; done`,
    `  5. Kill ${victim.name} without warning: the client here loses no request, and ${victim.name} leaves the cluster within 3 s:`,
    `     kill -9 ${victim.pid}`,
    `     ${admin} ${first.adminUrl}/v1/cluster`,
    ``,
    `Stop the demo with Ctrl-C (the nodes and etcd stop, ${g.dir} is removed).`,
  ].join("\n");
}
