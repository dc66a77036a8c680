// Flow-hash keys, shared by hashTupleAt (hash.ts) and conntrack placement (conntrack-hash.ts):
// fixed odd constants (digits of pi and e, as nothing-up-my-sleeve numbers);
// the caller's seed is xored into each so different seeds give unrelated hash functions.
// @ts-ignore: decorator
@inline export const KS0: u32 = 0x243F6A89;
// @ts-ignore: decorator
@inline export const KS1: u32 = 0x85A308D3;
// @ts-ignore: decorator
@inline export const KS2: u32 = 0x13198A2F;
// @ts-ignore: decorator
@inline export const KS3: u32 = 0x03707345;
// @ts-ignore: decorator
@inline export const KD0: u32 = 0xA4093823;
// @ts-ignore: decorator
@inline export const KD1: u32 = 0x299F31D1;
// @ts-ignore: decorator
@inline export const KD2: u32 = 0x082EFA99;
// @ts-ignore: decorator
@inline export const KD3: u32 = 0xEC4E6C89;
// @ts-ignore: decorator
@inline export const KP0: u32 = 0xB7E15163;
// @ts-ignore: decorator
@inline export const KP1: u32 = 0x9E3779B9;
