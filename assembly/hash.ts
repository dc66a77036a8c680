// placeholder: filled by the hash kernel
export function hashVersion(): u32 { return 1; }
