// Small DOM helpers. Text always goes in as text (never as HTML): names, hosts and summaries come
// from the config and must not become markup.

/**
 * Creates `<tag>` with attributes (`class`, `data-*`, `on*` handlers, booleans) and children
 * (nodes, strings, numbers; null and false are skipped; arrays are flattened).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * fill(), unless the new children would render the same markup: the page refreshes every second,
 * and an unchanged cell then costs no layout and no repaint. Only for plain markup (text, pills,
 * styled bars): a canvas's picture or a listener is not in the markup compared.
 */
export function refill(el, ...children) {
  const next = document.createElement(el.tagName);
  append(next, children);
  if (next.innerHTML !== el.innerHTML) el.replaceChildren(...next.childNodes);
  return el;
}

/**
 * Keeps one child of `parent` per key, in the order of `items`: `create(item)` makes a missing one,
 * `update(el, item)` refreshes each, children whose key is gone are removed (and `drop(el)` called).
 * Lets charts and open controls survive a refresh.
 */
export function keyed(parent, items, key, create, update, drop) {
  const have = new Map();
  for (const el of [...parent.children]) if (el.dataset.key !== undefined) have.set(el.dataset.key, el);
  let at = 0;
  for (const item of items) {
    const k = key(item);
    let el = have.get(k);
    if (!el) {
      el = create(item);
      el.dataset.key = k;
    }
    have.delete(k);
    if (parent.children[at] !== el) parent.insertBefore(el, parent.children[at] ?? null);
    update(el, item);
    at++;
  }
  for (const el of have.values()) {
    drop?.(el);
    el.remove();
  }
}

/** A labelled figure: `<span class="stat"><b>value</b><span>label</span></span>`. */
export function stat(label, value, attrs = {}) {
  return h("span", { class: "stat", ...attrs }, h("b", {}, value), h("span", {}, label));
}
