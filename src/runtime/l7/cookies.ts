/** The value of cookie `name` in a request's Cookie field(s) (RFC 6265 §5.4), or undefined. */
export function cookieValue(cookieHeaders: readonly string[], name: string): string | undefined {
  for (const header of cookieHeaders) {
    let i = 0;
    while (i < header.length) {
      let end = header.indexOf(";", i);
      if (end < 0) end = header.length;
      const eq = header.indexOf("=", i);
      if (eq > i && eq < end && header.slice(i, eq).trim() === name) return header.slice(eq + 1, end).trim();
      i = end + 1;
    }
  }
  return undefined;
}

/** A Set-Cookie field line (with CRLF) for a sticky-session cookie. */
export function stickyCookieLine(name: string, value: string, ttlS: number, secure: boolean): string {
  return `set-cookie: ${name}=${value}; Path=/; Max-Age=${ttlS}; HttpOnly; SameSite=Lax${secure ? "; Secure" : ""}\r\n`;
}
