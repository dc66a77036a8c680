/** @module Network names and addresses: IP text, host:port, CIDR lists, host patterns, authorities, URI paths, the PROXY protocol. */
export * from "./access-list.ts";
export * from "./authority.ts";
export * from "./cidr.ts";
export * from "./grow-buffer.ts";
export * from "./host-pattern.ts";
export * from "./host-port.ts";
export * from "./ip.ts";
export * from "./path-normalize.ts";
export * from "./proxy-protocol/index.ts";
