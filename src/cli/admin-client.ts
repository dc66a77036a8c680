/**
 * The HTTP client `apply` and `export` use to talk to a running node's admin API: resolves the
 * address (--admin, else FULCRUM_ADMIN, else 127.0.0.1:9901), adds the bearer token
 * (--admin-token-file, else FULCRUM_ADMIN_TOKEN) and turns "connection refused" into a message
 * that says what to do.
 */
import { LbError } from "../errors.ts";
import { adminBaseUrl } from "./args.ts";

/** Where the admin API listens unless told otherwise (DESIGN.md). */
export const DEFAULT_ADMIN = "127.0.0.1:9901";

/** Reads the admin token: the file's first line when given, else FULCRUM_ADMIN_TOKEN. */
export async function readToken(tokenFile: string | undefined): Promise<string | undefined> {
  if (tokenFile === undefined) return process.env.FULCRUM_ADMIN_TOKEN || undefined;
  const file = Bun.file(tokenFile);
  if (!(await file.exists())) throw new LbError("INVALID_ARGUMENT", `--admin-token-file ${tokenFile}: no such file`);
  const token = (await file.text()).split(/\r?\n/)[0].trim();
  if (token === "") throw new LbError("INVALID_ARGUMENT", `--admin-token-file ${tokenFile} is empty`);
  return token;
}

/** A response from the admin API, body already read. */
export interface AdminResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

/** Sends one request to the admin API at `admin` (address or URL). */
export async function adminRequest(
  admin: string | undefined,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; accept?: string; headers?: Record<string, string> } = {},
): Promise<AdminResponse> {
  const base = adminBaseUrl(admin ?? process.env.FULCRUM_ADMIN ?? DEFAULT_ADMIN);
  const headers: Record<string, string> = { ...opts.headers, accept: opts.accept ?? "application/json" };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new LbError("UPSTREAM_CONNECT_FAILED", `cannot reach the admin API at ${base} (${(e as Error).message}); is \`fulcrum start\` running there? (--admin URL)`, { cause: e });
  }
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    json: () => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    },
  };
}
