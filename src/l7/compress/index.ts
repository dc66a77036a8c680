/** @module Response compression for the L7 engine: the policy it reads, negotiation, streaming encoders. */
export { CODINGS, type Coding, type CompressPolicy } from "./policy.ts";
export { BodyEncoder, type BodySink } from "./encoder.ts";
export { startEncoding, type EncodingCtx } from "./start.ts";
export { negotiate } from "./accept-encoding.ts";
