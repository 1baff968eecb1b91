// Runs before Python starts. The page reads `window.uploaderReady` to know
// when files are accepted; the Python side sets it to true once it has started.
//
// Files dropped anywhere on the page before then are kept here, in order, as
// File objects: without this handler the browser would open a dropped file in
// place of the page. Python takes them with `uploaderBoot.takeFiles` and
// queues them once it has started and the user is signed in. After that,
// drops outside the drop zone go to the callback Python registered.
(function () {
  "use strict";

  window.uploaderReady = false;
  const pending = [];
  let deliver = null;

  function carriesFiles(event) {
    const types = event.dataTransfer ? event.dataTransfer.types : [];
    return Array.prototype.includes.call(types, "Files");
  }

  function showPending() {
    const note = document.getElementById("early-files");
    if (note === null) {
      return;
    }
    const count = pending.length;
    const noun = count === 1 ? "file" : "files";
    note.textContent =
      `${count} ${noun} received. They will be queued once the uploader has started.`;
    note.hidden = false;
  }

  // Accepting dragover is what makes the browser fire drop instead of
  // navigating to the file.
  document.addEventListener("dragover", (event) => {
    if (carriesFiles(event)) {
      event.preventDefault();
    }
  });

  document.addEventListener("drop", (event) => {
    // The drop zone's own handler has already taken the files.
    if (event.defaultPrevented || !carriesFiles(event)) {
      return;
    }
    event.preventDefault();
    const files = Array.from(event.dataTransfer.files);
    if (deliver !== null) {
      deliver(files);
      return;
    }
    pending.push(...files);
    showPending();
  });

  window.uploaderBoot = {
    // Returns the files dropped so far as an Array and sends later drops
    // outside the drop zone to `callback(filesArray)`.
    takeFiles(callback) {
      deliver = callback;
      return pending.splice(0);
    },
  };
})();
