/** @module The L4 data plane: TCP, UDP and TLS passthrough relays (addresses, CIDR lists, SNI names and the PROXY protocol are src/net's). */
export * from "./conn-info.ts";
export * from "./relay-options.ts";
export * from "./tcp-relay.ts";
export * from "./udp-options.ts";
export * from "./udp-relay.ts";
