// Swagger UI as a person uses it: Authorize (password flow), open the upload, "Try it out", pick a
// file, leave every other field as filled, Execute. Returns what the dialog and the answer showed.
(async () => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (find, what) => {
    for (let i = 0; i < 300; i++) { const found = find(); if (found) return found; await sleep(50); }
    throw new Error("timed out waiting for " + what);
  };
  const setValue = (input, value) => {
    const proto = Object.getPrototypeOf(input);
    Object.getOwnPropertyDescriptor(proto, "value").set.call(input, value);
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const out = {};
  (await until(() => document.querySelector(".btn.authorize"), "authorize button")).click();
  const dialog = await until(() => document.querySelector(".modal-ux"), "dialog");
  out.dialogMentionsScopes = dialog.innerText.includes("scope");
  setValue(dialog.querySelector("input#oauth_username"), "swagger");
  setValue(dialog.querySelector("input#oauth_password"), "correct horse battery");
  dialog.querySelector("button.authorize").click();
  await until(() => document.querySelector(".modal-ux button.logout, .modal-ux .auth-btn-wrapper button.btn-done") && dialog.innerText.includes("Logout"), "signed in");
  dialog.querySelector("button.btn-done, button.close-modal").click();
  const op = await until(() => document.querySelector("#operations-files-uploadFiles"), "upload operation");
  (op.querySelector("button.opblock-summary-control") || op.querySelector(".opblock-summary")).click();
  (await until(() => op.querySelector(".try-out__btn"), "try it out")).click();
  await until(() => op.querySelector("input[type=file]"), "file input");
  const folder = op.querySelector("tr[data-param-name='folder_id'] input, input[placeholder='folder_id']");
  out.folderValue = folder ? folder.value : null;
  const file = op.querySelector("input[type=file]");
  const transfer = new DataTransfer();
  transfer.items.add(new File(["hello from Swagger UI\n"], "swagger.txt", { type: "text/plain" }));
  file.files = transfer.files;
  file.dispatchEvent(new Event("change", { bubbles: true }));
  await sleep(200);
  op.querySelector(".execute").click();
  const status = await until(() => op.querySelector(".live-responses-table tbody .response-col_status"), "response");
  out.status = status.innerText.trim();
  out.body = (op.querySelector(".live-responses-table .microlight") || {}).innerText;
  return JSON.stringify(out);
})()
