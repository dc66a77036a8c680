// The page's only writes: drain, disable or enable one backend, each after a confirmation. The write
// is conditional (If-Match on the revision the operator confirmed against), so a change someone made
// in between is never overwritten: the node answers 412 and the page says so.

import { single } from "./adapt.js";
import { api, ApiError, revisionOf } from "./api.js";
import { notice } from "./notice.js";

const STATE = { drain: "draining", disable: "disabled", enable: "active" };
const WHAT = {
  drain: "It takes no new requests or connections; those in flight finish.",
  disable: "It takes no new work, and its open L4 connections are closed now.",
  enable: "It takes new work again as soon as it is healthy.",
};
const VERB = { drain: "Drain", disable: "Disable", enable: "Enable" };

const path = (pool, address) => `v1/pools/${encodeURIComponent(pool)}/backends/${encodeURIComponent(address)}`;

/**
 * Asks to confirm `action` on backend `address` of `pool`, then PATCHes its state with If-Match.
 * Resolves to true when the node applied it. `onUnauthorized` is called on a 401.
 */
export async function backendAction(pool, address, action, onUnauthorized) {
  let read;
  try {
    read = await api(path(pool, address));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) onUnauthorized();
    notice(`Cannot read backend ${address} of pool ${pool}: ${e.message}`, "bad");
    return false;
  }
  const backend = single(read.body, "backend");
  const revision = revisionOf(read.etag);
  return await confirmThen(
    `${VERB[action]} ${address}?`,
    `Backend ${address} of pool ${pool} is ${backend.state}. ${WHAT[action]} (config revision ${revision ?? "?"})`,
    VERB[action],
    async () => {
      const r = await api(path(pool, address), { method: "PATCH", body: { state: STATE[action] }, ifMatch: revision });
      notice(`Backend ${address} of pool ${pool} is now ${STATE[action]} (revision ${r.body?.revision ?? revisionOf(r.etag) ?? "?"}).`, "ok", 8000);
    },
    onUnauthorized,
  );
}

/** Opens the confirmation dialog; `run()` on OK. Errors stay in the dialog, said plainly. */
function confirmThen(title, text, verb, run, onUnauthorized) {
  const d = document.getElementById("confirm-dialog");
  const form = document.getElementById("confirm-form");
  const ok = document.getElementById("confirm-ok");
  const error = document.getElementById("confirm-error");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  ok.textContent = verb;
  ok.disabled = false;
  error.textContent = "";
  return new Promise((resolve) => {
    const done = (applied) => {
      form.onsubmit = null;
      document.getElementById("confirm-cancel").onclick = null;
      d.close();
      resolve(applied);
    };
    document.getElementById("confirm-cancel").onclick = () => done(false);
    d.oncancel = (ev) => {
      ev.preventDefault();
      done(false);
    };
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      ok.disabled = true;
      try {
        await run();
        done(true);
      } catch (e) {
        ok.disabled = false;
        if (e instanceof ApiError && e.status === 401) {
          done(false);
          onUnauthorized();
          return;
        }
        error.textContent = e instanceof ApiError && e.status === 412
          ? "Nothing was written: the config changed since you opened this (412). Close, look again and retry."
          : `Nothing was written: ${e.code ?? ""} ${e.message}`;
      }
    };
    d.showModal();
  });
}
