// The admin API as the page reaches it: same origin, paths relative to /ui/ (so a proxy may mount the
// admin API under a prefix), the bearer token from this tab's sessionStorage, errors as ApiError.

const TOKEN_KEY = "fulcrum.admin-token";

/** A failed call: HTTP status (0 = no answer), the API's error code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** A revision from an ETag ("7" or W/"7"), or undefined. */
export function revisionOf(etag) {
  const m = /^(?:W\/)?"(\d+)"$/.exec(etag ?? "");
  return m ? Number(m[1]) : undefined;
}

/**
 * Calls `path` ("v1/status") and resolves to { body, etag }. `ifMatch` (a revision) makes a write
 * conditional. Rejects with ApiError; 401 is code UNAUTHORIZED whatever the body says.
 */
export async function api(path, { method = "GET", body, ifMatch, timeoutMs = 10000 } = {}) {
  const headers = { accept: "application/json" };
  const t = token();
  if (t) headers.authorization = `Bearer ${t}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (ifMatch !== undefined) headers["if-match"] = `"${ifMatch}"`;
  let res;
  try {
    res = await fetch(new URL(`../${path}`, location.href), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new ApiError(0, "UNREACHABLE", `the node did not answer (${e.message})`);
  }
  const text = await res.text();
  let json;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const code = res.status === 401 ? "UNAUTHORIZED" : (json?.error?.code ?? `HTTP_${res.status}`);
    throw new ApiError(res.status, code, json?.error?.message ?? (text.slice(0, 200) || res.statusText));
  }
  return { body: json, etag: res.headers.get("etag") };
}
