/**
 * Accept-Encoding negotiation (RFC 9110 §12.5.3): each coding's qvalue (an explicit entry, else the
 * `*` entry, else not acceptable); q=0 refuses. The coding with the highest q among those offered
 * wins, ties going to the policy's order. `x-gzip` counts as gzip (RFC 9110 §8.4.1.3). Several
 * Accept-Encoding lines are one list. A qvalue that does not parse refuses its coding.
 */
import type { RequestHead } from "../../http/index.ts";
import { CODINGS, type Coding } from "./policy.ts";

/** Parsed q per coding, indexed as CODINGS; -1 = not named. Reused: negotiation is synchronous. */
const named = [-1, -1, -1];

/** The coding to apply for `req`, or null (no Accept-Encoding, or none acceptable: send identity). */
export function negotiate(req: RequestHead, offered: readonly Coding[]): Coding | null {
  named[0] = named[1] = named[2] = -1;
  let star = -1, any = false;
  for (let i = req.indexOf("accept-encoding"); i >= 0; i = req.indexOf("accept-encoding", i + 1)) {
    any = true;
    star = Math.max(star, scan(req.valueAt(i)));
  }
  if (!any) return null;
  let best: Coding | null = null, bestQ = 0;
  for (const c of offered) {
    const k = CODINGS.indexOf(c), q = named[k]! >= 0 ? named[k]! : Math.max(star, 0);
    if (q > bestQ) {
      best = c;
      bestQ = q;
    }
  }
  return best;
}

/** Records each element of one field value in `named`; returns the `*` entry's q (-1 = none). */
function scan(v: string): number {
  let star = -1, at = 0;
  while (at < v.length) {
    let end = v.indexOf(",", at);
    if (end < 0) end = v.length;
    const semi = v.indexOf(";", at);
    const tokenEnd = semi >= 0 && semi < end ? semi : end;
    const token = v.slice(at, tokenEnd).trim().toLowerCase();
    const q = tokenEnd < end ? qOf(v.slice(tokenEnd + 1, end)) : 1;
    if (token === "*") star = Math.max(star, q);
    else {
      const k = CODINGS.indexOf((token === "x-gzip" ? "gzip" : token) as Coding);
      if (k >= 0) named[k] = Math.max(named[k]!, q);
    }
    at = end + 1;
  }
  return star;
}

/** The q of a parameter list (";q=0.5"); 1 when absent; 0 when it does not parse. */
function qOf(params: string): number {
  for (const p of params.split(";")) {
    const eq = p.indexOf("=");
    if (eq < 0 || p.slice(0, eq).trim().toLowerCase() !== "q") continue;
    const s = p.slice(eq + 1).trim();
    return /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(s) ? Number(s) : 0;
  }
  return 1;
}

