// Runs before Python starts. The page reads this flag to know when files
// are accepted; the Python side sets it to true once it has started.
window.uploaderReady = false;
