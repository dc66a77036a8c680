/** @module The L4 data plane: TCP and TLS passthrough listeners, PROXY protocol, SNI and CIDR matching. */
export * from "./cidr.ts";
export * from "./conn-info.ts";
export * from "./ip.ts";
export * from "./proxy-protocol/index.ts";
export * from "./relay-options.ts";
export * from "./sni-match.ts";
export * from "./tcp-relay.ts";
export * from "./udp-options.ts";
export * from "./udp-relay.ts";
