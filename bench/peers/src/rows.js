// The upload list both comparison pages show: one <li> per file with the
// same data-file-id and data-status hooks as the app, a progress bar and a
// status text. Rows for a whole selection go into the DOM in one append.

export const UPLOAD_URL = "/p-v2/api/files/file-paraphrase";
export const CONCURRENCY = 6;
// The same multipart fields the app sends with its default options.
export const FIELDS = [
  ["mode", "standard"],
  ["synonym", "50"],
  ["language", "en"],
];

const list = document.getElementById("queue");

export function createRows(entries) {
  // entries: [{id, name, size}]; returns a Map from id to row.
  const fragment = document.createDocumentFragment();
  const rows = new Map();
  for (const entry of entries) {
    const root = document.createElement("li");
    root.dataset.fileId = entry.id;
    root.dataset.status = "queued";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    const status = document.createElement("span");
    status.className = "status";
    status.textContent = "Queued";
    root.append(name, bar, status);
    fragment.append(root);
    rows.set(entry.id, { root, bar, status, percent: 0 });
  }
  list.append(fragment);
  return rows;
}

export function showProgress(row, loaded, total) {
  const percent = total > 0 ? Math.floor((loaded / total) * 100) : 0;
  if (percent !== row.percent) {
    row.percent = percent;
    row.bar.value = percent;
  }
  if (row.root.dataset.status !== "uploading") {
    row.root.dataset.status = "uploading";
    row.status.textContent = "Uploading";
  }
}

export function showStatus(row, status, text) {
  row.root.dataset.status = status;
  row.status.textContent = text;
  if (status === "succeeded") {
    row.bar.value = 100;
  }
}

export function authorization() {
  // The benchmark signs in over HTTP and injects the access token.
  return "Bearer " + window.benchToken;
}
