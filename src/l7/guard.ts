/** Hooks are other people's code: a throw costs one request, never the connection or the process. */
import { LbError } from "../errors.ts";
import type { ConnCtx, ProxyCtx, ProxyHooks } from "./hooks.ts";

/** A hook threw: the request gets a 500 INTERNAL (an LbError thrown on purpose keeps its code). */
export function hookFailed(cause: unknown): LbError {
  return cause instanceof LbError ? cause : new LbError("INTERNAL", "a proxy hook threw", { cause });
}

/** Runs onLog; a failing access log is the hook's own business. */
export function runOnLog(hooks: ProxyHooks<any>, ctx: ProxyCtx<any>): void {
  try {
    hooks.onLog?.(ctx);
  } catch {
    // swallowed on purpose: logging must not break the connection it describes
  }
}

/** Runs onParseError, swallowing its failures as runOnLog does. */
export function runOnParseError(hooks: ProxyHooks<any>, clientAddress: string, err: LbError): void {
  try {
    hooks.onParseError?.(clientAddress, err);
  } catch {
    // swallowed on purpose: logging must not break the connection it describes
  }
}

/** Runs a connection hook (onConnOpen, onConnClose); a throw costs nothing but that hook's work. */
export function runConnHook(hook: ((conn: ConnCtx) => void) | undefined, conn: ConnCtx): void {
  if (hook === undefined) return;
  try {
    hook(conn);
  } catch {
    // swallowed on purpose: the connection carries on as if the hook had not been set
  }
}
