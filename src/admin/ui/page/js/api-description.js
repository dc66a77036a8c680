// The footer's link to the admin API's description, /v1/openapi.json. It needs the token like any
// other read, which a plain link cannot send: a click fetches it with the token and saves it as a
// file, ready for a tool (Swagger UI, Postman, a client generator) to load.

import { api } from "./api.js";
import { notice } from "./notice.js";

const FILE_NAME = "fulcrum-openapi.json";

async function save() {
  const { body } = await api("v1/openapi.json");
  const url = URL.createObjectURL(new Blob([JSON.stringify(body, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = FILE_NAME;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export function initApiDescriptionLink() {
  document.getElementById("api-description").addEventListener("click", (e) => {
    e.preventDefault();
    save().catch((err) => notice(`Could not read the API description: ${err.message}`, "bad", 8000));
  });
}
