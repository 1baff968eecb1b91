// Upload queue in plain JavaScript: XMLHttpRequest, FormData with the File
// object, at most CONCURRENCY requests at once.
import {
  CONCURRENCY,
  FIELDS,
  UPLOAD_URL,
  authorization,
  createRows,
  showProgress,
  showStatus,
} from "./rows.js";

const waiting = [];
let running = 0;
let nextId = 0;

document.getElementById("file-input").addEventListener("change", (event) => {
  const input = event.target;
  const items = Array.from(input.files, (file) => ({
    id: String(++nextId),
    name: file.name,
    size: file.size,
    file,
  }));
  input.value = "";
  const rows = createRows(items);
  for (const item of items) {
    item.row = rows.get(item.id);
    waiting.push(item);
  }
  startUploads();
});

function startUploads() {
  while (running < CONCURRENCY && waiting.length > 0) {
    running += 1;
    upload(waiting.shift());
  }
}

function upload(item) {
  const xhr = new XMLHttpRequest();
  xhr.open("POST", UPLOAD_URL);
  xhr.responseType = "blob";
  xhr.setRequestHeader("Authorization", authorization());
  xhr.setRequestHeader("Idempotency-Key", crypto.randomUUID());
  xhr.upload.addEventListener("progress", (event) => {
    if (event.lengthComputable) {
      showProgress(item.row, event.loaded, event.total);
    }
  });
  xhr.addEventListener("loadend", () => {
    if (xhr.status >= 200 && xhr.status < 300) {
      showStatus(item.row, "succeeded", `Done, ${xhr.response.size} bytes`);
    } else {
      showStatus(item.row, "failed", `Failed: HTTP ${xhr.status}`);
    }
    running -= 1;
    startUploads();
  });
  const form = new FormData();
  form.append("file", item.file, item.file.name);
  for (const [name, value] of FIELDS) {
    form.append(name, value);
  }
  xhr.send(form);
}

window.uploaderReady = true;
