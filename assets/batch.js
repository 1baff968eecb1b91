// Batch helpers for the Python side of the page.
//
// A call from Python into JavaScript costs far more than setting one DOM
// property, and a selection may contain thousands of files. So the page reads
// the properties of a whole selection in one call, and writes the changes
// of a whole animation frame of rows in one call. Every value comes from
// Python: nothing here decides what a row shows.
(function () {
  "use strict";

  // Returns the JSON text of [name, size, type, lastModified] for the Files
  // of an Array from index `start` on, stopping after the first one that
  // ends past `budgetMs` milliseconds. The File objects stay where they are.
  // Chromium looks up a chosen file's size and date on disk the first time
  // they are read (measured at about 0.24 ms per file on a 2-core machine),
  // so a large selection is described over several tasks.
  function describeFiles(files, start, budgetMs) {
    const described = [];
    const deadline = performance.now() + budgetMs;
    for (let index = start; index < files.length; index += 1) {
      const file = files[index];
      // A name with a lone surrogate gets U+FFFD, so it survives JSON and Python.
      const name = file.name.toWellFormed ? file.name.toWellFormed() : file.name;
      described.push([name, file.size, file.type, file.lastModified]);
      if (performance.now() >= deadline) {
        break;
      }
    }
    return JSON.stringify(described);
  }

  // The elements of a row that change, in document order.
  const PARTS =
    ".row-name, .row-meta, .row-actions, .bar, .bar-fill, .row-percent, .badge, .detail";

  function newRow(template, id) {
    const root = template.cloneNode(true);
    root.dataset.fileId = id;
    const [name, meta, actions, bar, fill, percent, badge, detail] =
      root.querySelectorAll(PARTS);
    return { root, name, meta, actions, bar, fill, percent, badge, detail };
  }

  // Writes the fields present in `fields` into a row.
  function update(row, fields) {
    if ("status" in fields) row.root.dataset.status = fields.status;
    if ("attempts" in fields) row.root.dataset.attempts = String(fields.attempts);
    if ("name" in fields) row.name.textContent = fields.name;
    if ("label" in fields) row.bar.setAttribute("aria-label", fields.label);
    if ("meta" in fields) row.meta.textContent = fields.meta;
    if ("percent" in fields) {
      row.bar.setAttribute("aria-valuenow", String(fields.percent));
      row.fill.style.transform = `scaleX(${fields.percent / 100})`;
    }
    if ("percentText" in fields) row.percent.textContent = fields.percentText;
    if ("badge" in fields) row.badge.textContent = fields.badge;
    if ("detail" in fields) row.detail.textContent = fields.detail;
    if ("actions" in fields) {
      const buttons = fields.actions.map(([action, label]) => {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.action = action;
        button.textContent = label;
        return button;
      });
      row.actions.replaceChildren(...buttons);
    }
  }

  // The rows of one list element, by file id. `apply(text)` takes the JSON
  // text of a list of [id, fields]; an id without a row gets a new row,
  // cloned from `template` and appended in the order given.
  function rowList(list, template) {
    const rows = new Map();
    return {
      apply(text) {
        let fragment = null;
        for (const [id, fields] of JSON.parse(text)) {
          let row = rows.get(id);
          if (row === undefined) {
            row = newRow(template, id);
            rows.set(id, row);
            fragment ??= document.createDocumentFragment();
            fragment.append(row.root);
          }
          update(row, fields);
        }
        if (fragment !== null) list.append(fragment);
      },
      remove(id) {
        const row = rows.get(id);
        if (row !== undefined) {
          rows.delete(id);
          row.root.remove();
        }
      },
    };
  }

  window.uploaderBatch = { describeFiles, rowList };
})();
