// A hashing pool's lookup table (GET /v1/pools/{name}/table) as one bar: each backend's share of
// the slots, in its colour, with the table's digest (nodes with equal digests agree slot for slot).

import { h } from "./dom.js";

/** Percent of the table's slots that go to `address` (undefined when it has none in the table). */
export function shareOf(table, address) {
  const b = (table.backends ?? []).find((x) => x.address === address);
  return b && table.table_size > 0 ? (100 * b.slots) / table.table_size : undefined;
}

/** The bar and its caption; `colorOf(address)` names a CSS colour variable. */
export function shareBar(table, colorOf) {
  const bar = h("div", { class: "share", role: "img", "aria-label": "lookup table share per backend" });
  for (const b of table.backends ?? []) {
    const seg = h("div", { title: `${b.address}: ${b.slots} slots (${((100 * b.slots) / table.table_size).toFixed(2)}%)` });
    seg.style.width = `${(100 * b.slots) / table.table_size}%`;
    seg.style.background = `var(${colorOf(b.address)})`;
    bar.append(seg);
  }
  const digest = table.digest ?? "";
  const short = digest.replace(/^sha256:/, "").slice(0, 12);
  return h("div", { class: "table-share" }, bar,
    h("div", { class: "muted small" },
      `${table.algorithm} table: ${table.table_size} slots${table.empty_slots ? `, ${table.empty_slots} empty` : ""}, revision ${table.revision}`,
      digest ? [" · digest ", h("code", { class: "digest", title: digest }, short)] : null));
}
