/**
 * @module The write path above the config model and the store: validate, compile, preflight,
 * store, publish, one change at a time per node.
 */
export { ConfigControl, type Adoption, type ChangeOptions, type ChangeResult, type ControlDeps } from "./control.ts";
export { planChange, type Plan } from "./apply.ts";
