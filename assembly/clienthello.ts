// placeholder: filled by the clienthello kernel
export function clienthelloVersion(): u32 { return 1; }
