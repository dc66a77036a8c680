// The admin token: asked for once when the node answers 401, kept in this tab's sessionStorage, and
// asked for again (with the reason) when the node refuses it.

import { api, ApiError, setToken, token } from "./api.js";

const dialog = () => document.getElementById("token-dialog");
let pending;

/**
 * Shows the token dialog and resolves once a token the node accepts is stored. `refused` says the
 * stored token was just turned down (the message then says so). One dialog at a time: concurrent
 * callers share it.
 */
export function askToken(refused) {
  pending ??= new Promise((resolve) => {
    const d = dialog();
    const input = document.getElementById("token-input");
    const error = document.getElementById("token-error");
    document.getElementById("token-why").textContent = "This node needs its admin token (Authorization: Bearer) to show anything.";
    error.textContent = refused
      ? "The node refused the token this tab had (401 UNAUTHORIZED). Enter the token the node was started with (FULCRUM_ADMIN_TOKEN or --admin-token-file)."
      : "";
    input.value = "";
    const form = document.getElementById("token-form");
    const submit = async (ev) => {
      ev.preventDefault();
      const tried = input.value.trim();
      if (tried === "") return;
      setToken(tried);
      error.textContent = "Checking…";
      try {
        await api("v1/status");
      } catch (e) {
        setToken(null);
        error.textContent = e instanceof ApiError && e.status === 401
          ? "Wrong token: the node refused it (401 UNAUTHORIZED). Check the token the node was started with (FULCRUM_ADMIN_TOKEN or --admin-token-file)."
          : `Could not check the token: ${e.message}`;
        input.select();
        return;
      }
      form.removeEventListener("submit", submit);
      error.textContent = "";
      d.close();
      pending = undefined;
      document.getElementById("forget-token").hidden = false;
      resolve();
    };
    form.addEventListener("submit", submit);
    // Without a token the page has nothing to show: Escape does not dismiss the dialog.
    d.addEventListener("cancel", (ev) => ev.preventDefault());
    d.showModal();
    input.focus();
  });
  return pending;
}

/** Wires the "Forget token" button. */
export function initToken() {
  const forget = document.getElementById("forget-token");
  forget.hidden = !token();
  forget.addEventListener("click", () => {
    setToken(null);
    location.reload();
  });
}
