// placeholder: filled by the conntrack kernel
export function conntrackVersion(): u32 { return 1; }
