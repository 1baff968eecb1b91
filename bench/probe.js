// Init script of the benchmark, run in every page before the page's own
// scripts. It records into window.__bench, in milliseconds since the page's
// time origin:
// - readyAt: when window.uploaderReady first became true;
// - changeAt: the timeStamp of the first change event of a file input;
// - rowsShownAt: the first animation frame with `expected` rows in #queue;
// - doneAt: the first animation frame with every row succeeded or failed;
// - longTasks: [startTime, duration] of each main-thread task over 50 ms;
// - uploads: Resource Timing of each upload request;
// - setItemCalls: calls of Storage.prototype.setItem, and setItemAtChange,
//   the count when the files were chosen.
(() => {
  const bench = {
    readyAt: null,
    changeAt: null,
    rowsShownAt: null,
    doneAt: null,
    expected: 0,
    longTasks: [],
    uploads: [],
    setItemCalls: 0,
    setItemAtChange: 0,
  };
  window.__bench = bench;

  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function (key, value) {
    bench.setItemCalls += 1;
    return setItem.call(this, key, value);
  };

  let ready = false;
  Object.defineProperty(window, "uploaderReady", {
    configurable: true,
    enumerable: true,
    get: () => ready,
    set: (value) => {
      ready = value;
      if (value === true && bench.readyAt === null) {
        bench.readyAt = performance.now();
      }
    },
  });

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      bench.longTasks.push([entry.startTime, entry.duration]);
    }
  }).observe({ type: "longtask", buffered: true });

  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.name.includes("/file-paraphrase")) {
        bench.uploads.push({
          startTime: entry.startTime,
          responseStart: entry.responseStart,
          responseEnd: entry.responseEnd,
        });
      }
    }
  }).observe({ type: "resource" });

  const ROWS = "#queue [data-file-id]";
  const FINISHED =
    '#queue [data-file-id][data-status="succeeded"],' +
    ' #queue [data-file-id][data-status="failed"]';

  function watch() {
    const now = performance.now();
    if (bench.rowsShownAt === null) {
      if (document.querySelectorAll(ROWS).length >= bench.expected) {
        bench.rowsShownAt = now;
      }
    }
    if (bench.rowsShownAt !== null) {
      if (document.querySelectorAll(FINISHED).length >= bench.expected) {
        bench.doneAt = now;
        return;
      }
    }
    requestAnimationFrame(watch);
  }

  document.addEventListener(
    "change",
    (event) => {
      const input = event.target;
      if (!(input instanceof HTMLInputElement) || input.type !== "file") {
        return;
      }
      if (bench.changeAt !== null) {
        return;
      }
      bench.changeAt = event.timeStamp;
      bench.expected = input.files.length;
      bench.setItemAtChange = bench.setItemCalls;
      requestAnimationFrame(watch);
    },
    true,
  );
})();
