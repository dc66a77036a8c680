// placeholder: filled by the maglev kernel
export function maglevVersion(): u32 { return 1; }
