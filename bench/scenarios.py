"""The benchmark's scenarios, each run once on one page.

Every run opens a fresh browser context or profile, so no cache, storage or
queue is left from an earlier run. Times come from the page's own clock (see
probe.js), so the driver's polling adds nothing to them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page

from bench import memory
from bench.server import PASSWORD, USER, BenchServer

PROBE = (Path(__file__).parent / "probe.js").read_text()
FILE_INPUT = "input[type=file][multiple]"
READY_TIMEOUT_MS = 120_000
# Seconds between memory samples and checks for the end of a run.
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Target:
    """One uploader under test: a page of the reference server."""

    name: str
    path: str
    # The app signs in through its form; the comparison pages get a token.
    signs_in: bool = False


TARGETS = (
    Target("app", "/", signs_in=True),
    Target("plain", "/bench/plain.html"),
    Target("uppy", "/bench/uppy.html"),
)


def _new_context(browser: Browser, server: BenchServer) -> BrowserContext:
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    token = server.access_token()
    context.add_init_script(f"window.benchToken = {json.dumps(token)};\n{PROBE}")
    return context


def _wait_ready(page: Page) -> float:
    page.wait_for_function(
        "window.__bench && window.__bench.readyAt !== null", timeout=READY_TIMEOUT_MS
    )
    return float(page.evaluate("window.__bench.readyAt"))


def _open(browser: Browser, server: BenchServer, target: Target):
    """Open the target in a fresh context, signed in and ready for files."""
    context = _new_context(browser, server)
    page = context.new_page()
    page.goto(server.url + target.path)
    _wait_ready(page)
    if target.signs_in:
        page.get_by_label("Username").fill(USER)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#workspace").wait_for(state="visible")
    # Let start-up work (history, first frames) finish before measuring.
    page.wait_for_timeout(1000)
    return context, page


def _wait_done(page: Page, timeout: float, on_poll=None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if on_poll is not None:
            on_poll()
        if page.evaluate("window.__bench.doneAt !== null"):
            return page.evaluate("window.__bench")
        time.sleep(_POLL_SECONDS)
    raise TimeoutError(f"The uploads did not finish within {timeout:.0f} s.")


def _task_durations(bench: dict) -> tuple[float, float]:
    """Return the selection task and the longest task after it, in ms.

    The selection task is the one in which the change event of the file
    input fired: the browser builds the FileList in it and the page's
    handler runs in it. The Long Tasks API reports tasks of 50 ms or more,
    so 0 means shorter than that.
    """
    chosen, end = bench["changeAt"], bench["doneAt"]
    selection = 0.0
    later = 0.0
    for start, duration in bench["longTasks"]:
        if start <= chosen <= start + duration:
            selection = max(selection, duration)
        elif chosen < start <= end:
            later = max(later, duration)
    return selection, later


def run_startup(
    launch_profile: Callable[[Path], BrowserContext],
    server: BenchServer,
    target: Target,
    profile_dir: Path,
) -> dict:
    """Cold and warm time to ready, and the bytes received for each load.

    Each run uses a new browser profile on disk. Cold is the first load in
    it (empty HTTP cache); warm is a second page loading the same address.
    A profile on disk is needed for a real warm load, because the in-memory
    cache of an ordinary Playwright context does not keep Pyodide's 9 MB
    WebAssembly file.
    """
    context = launch_profile(profile_dir)
    token = server.access_token()
    context.add_init_script(f"window.benchToken = {json.dumps(token)};\n{PROBE}")
    result = {}
    try:
        for label in ("cold", "warm"):
            page = context.new_page()
            session = context.new_cdp_session(page)
            received = []
            session.on(
                "Network.loadingFinished",
                lambda event: received.append(event["encodedDataLength"]),
            )
            session.send("Network.enable")
            page.goto(server.url + target.path)
            result[f"{label}_ms"] = _wait_ready(page)
            # Requests still in flight at ready time (such as a late image)
            # finish and are counted.
            page.wait_for_timeout(300)
            result[f"{label}_bytes"] = sum(received)
            session.detach()
            page.close()
    finally:
        context.close()
    return result


def run_throughput(
    browser: Browser, server: BenchServer, target: Target, path: Path
) -> dict:
    """Upload one large file; time it and the renderer's memory growth."""
    server.reset()
    context, page = _open(browser, server, target)
    browser_session = browser.new_browser_cdp_session()
    page_session = context.new_cdp_session(page)
    try:
        page_session.send("Performance.enable")
        page_session.send("HeapProfiler.collectGarbage")
        page.wait_for_timeout(500)
        pids = memory.renderer_pids(browser_session)
        idle_rss = memory.rss_bytes(pids)
        idle_heap = _js_heap(page_session)
        peaks_reset = memory.reset_peaks(pids)
        sampled = {"rss": idle_rss, "heap": idle_heap}

        def sample() -> None:
            sampled["rss"] = max(sampled["rss"], memory.rss_bytes(pids))
            sampled["heap"] = max(sampled["heap"], _js_heap(page_session))

        page.set_input_files(FILE_INPUT, str(path))
        bench = _wait_done(page, timeout=600, on_poll=sample)
        peak_rss = max(sampled["rss"], memory.peak_rss_bytes(pids) if peaks_reset else 0)
    finally:
        browser_session.detach()
        context.close()

    uploads = bench["uploads"]
    if len(uploads) != 1:
        raise RuntimeError(f"{target.name}: expected 1 upload request, saw {len(uploads)}.")
    seconds = (uploads[0]["responseStart"] - bench["changeAt"]) / 1000
    return {
        "upload_s": seconds,
        # From the change event to the start of the request.
        "start_delay_ms": uploads[0]["startTime"] - bench["changeAt"],
        "mib_per_s": path.stat().st_size / (1024 * 1024) / seconds,
        "rss_growth_mib": (peak_rss - idle_rss) / (1024 * 1024),
        "heap_growth_mib": (sampled["heap"] - idle_heap) / (1024 * 1024),
        "longest_task_ms": _task_durations(bench)[1],
    }


def _js_heap(page_session) -> int:
    metrics = page_session.send("Performance.getMetrics")["metrics"]
    return int(next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize"))


def run_many_files(
    browser: Browser, server: BenchServer, target: Target, paths: list[Path]
) -> dict:
    """Add many small files at once and follow them to the end."""
    server.reset()
    context, page = _open(browser, server, target)
    try:
        page.set_input_files(FILE_INPUT, [str(path) for path in paths])
        bench = _wait_done(page, timeout=900)
        succeeded = page.locator(
            '#queue [data-file-id][data-status="succeeded"]'
        ).count()
    finally:
        context.close()
    stats = server.stats()
    total_s = (bench["doneAt"] - bench["changeAt"]) / 1000
    writes = bench["setItemCalls"] - bench["setItemAtChange"]
    selection_ms, longest_ms = _task_durations(bench)
    return {
        "rows_shown_s": (bench["rowsShownAt"] - bench["changeAt"]) / 1000,
        "finished_s": total_s,
        "selection_task_ms": selection_ms,
        "longest_task_ms": longest_ms,
        "storage_writes_per_s": writes / total_s,
        "succeeded": succeeded,
        "max_concurrent": stats["maxConcurrentUploads"],
    }
