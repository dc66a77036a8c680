// One line under the header for what the operator must know now: the node is unreachable, a
// write failed, a write succeeded. `kind` is "bad", "ok" or "" (a warning).

let timer;

export function notice(text, kind = "", ttlMs = 0) {
  const el = document.getElementById("notice");
  clearTimeout(timer);
  el.textContent = text;
  el.className = `notice ${kind}`;
  el.hidden = !text;
  if (text && ttlMs > 0) timer = setTimeout(() => notice(""), ttlMs);
}
