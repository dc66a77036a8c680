// Response shapes the page depends on, read in one place: when the admin API's shapes move, the fix
// is here (one line each), not spread over the views.

/** A single resource (GET /v1/pools/{name}): `{ "pool": {...} }` today; the plain object also works. */
export function single(body, kind) {
  return body && typeof body === "object" && body[kind] && typeof body[kind] === "object" ? body[kind] : body;
}

/** A collection (GET /v1/listeners): `{ "listeners": [...] }` or a plain array. */
export function list(body, plural) {
  return Array.isArray(body) ? body : (body?.[plural] ?? []);
}

/**
 * One history entry as the Changes view shows it. The store records `summary` as
 * "WHO: diff line; diff line (+N more)"; newer nodes may add `source` (api, file, sighup, cluster
 * node) and `diff` (the lines): those win when present.
 */
export function revisionEntry(e) {
  const summary = String(e.summary ?? "");
  const cut = summary.indexOf(": ");
  const who = e.who ?? (cut < 0 ? summary : summary.slice(0, cut));
  const rest = cut < 0 ? "" : summary.slice(cut + 2);
  const more = /\s\(\+(\d+) more\)$/.exec(rest);
  const lines = Array.isArray(e.diff) ? e.diff : rest === "" ? [] : rest.slice(0, more ? more.index : undefined).split("; ");
  return {
    revision: e.revision,
    at: e.at,
    source: e.source ?? guessSource(who),
    who,
    node: e.node,
    diff: lines,
    more: more && !Array.isArray(e.diff) ? Number(more[1]) : 0,
  };
}

/** What made a change, from the summary's first words, for nodes whose history has no `source`. */
function guessSource(who) {
  if (/^(GET|POST|PUT|PATCH|DELETE) \//.test(who)) return "api";
  if (/^start --config /.test(who)) return "file";
  if (/SIGHUP/i.test(who)) return "sighup";
  return undefined;
}

/** The backends of a pool in /v1/status. */
export function statusBackends(pool) {
  return pool?.backends ?? [];
}

/** How a backend shows at a glance: disabled, else down (ejected or unhealthy), else draining, else its health. */
export function backendLook(b) {
  if (b.state === "disabled") return "disabled";
  if (b.ejected) return "ejected";
  if (b.health === "unhealthy" || b.state === "draining") return b.health === "unhealthy" ? "unhealthy" : "draining";
  return b.health ?? "unknown";
}

/** Failing its checks or ejected, whatever its state. */
export function isDown(b) {
  return b.health === "unhealthy" || b.ejected === true;
}
