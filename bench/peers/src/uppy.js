// Upload queue on Uppy's core and XHR uploader, with the same rows as the
// plain page. Uppy's own retry is limited to the statuses the app retries.
import Uppy from "@uppy/core";
import XHRUpload from "@uppy/xhr-upload";
import {
  CONCURRENCY,
  FIELDS,
  UPLOAD_URL,
  authorization,
  createRows,
  showProgress,
  showStatus,
} from "./rows.js";

const RETRIED_STATUSES = new Set([0, 408, 429, 500, 502, 503, 504]);

const uppy = new Uppy({ meta: Object.fromEntries(FIELDS) });
uppy.use(XHRUpload, {
  endpoint: UPLOAD_URL,
  fieldName: "file",
  limit: CONCURRENCY,
  allowedMetaFields: FIELDS.map(([name]) => name),
  responseType: "blob",
  headers: () => ({
    Authorization: authorization(),
    "Idempotency-Key": crypto.randomUUID(),
  }),
  getResponseData: (xhr) => ({ size: xhr.response ? xhr.response.size : 0 }),
  shouldRetry: (xhr) => RETRIED_STATUSES.has(xhr.status),
});

let rows = new Map();

uppy.on("files-added", (files) => {
  const added = createRows(
    files.map((file) => ({ id: file.id, name: file.name, size: file.size })),
  );
  rows = new Map([...rows, ...added]);
});
uppy.on("upload-progress", (file, progress) => {
  const row = rows.get(file.id);
  if (row) {
    showProgress(row, progress.bytesUploaded, progress.bytesTotal);
  }
});
uppy.on("upload-success", (file, response) => {
  const row = rows.get(file.id);
  if (row) {
    showStatus(row, "succeeded", `Done, ${response.body.size} bytes`);
  }
});
uppy.on("upload-error", (file, error, response) => {
  const row = file && rows.get(file.id);
  if (row) {
    const status = response ? response.status : 0;
    showStatus(row, "failed", `Failed: HTTP ${status}`);
  }
});

document.getElementById("file-input").addEventListener("change", (event) => {
  const input = event.target;
  const files = Array.from(input.files, (file) => ({
    name: file.name,
    type: file.type,
    data: file,
    source: "file input",
    isRemote: false,
  }));
  input.value = "";
  uppy.addFiles(files);
  uppy.upload();
});

window.uploaderReady = true;
