"""Run pytest on tests/app inside Pyodide, with an event loop that can block.

Pyodide's own event loop (WebLoop) runs on the JavaScript event loop, so its
run_until_complete needs WebAssembly stack switching, which Node.js 20 lacks.
The unit tests do no I/O (their clocks and transports are fakes), so a loop
built on asyncio.BaseEventLoop whose "selector" only sleeps out the time to
the next timer runs them unchanged. pytest-asyncio takes it through its
pytest_asyncio_loop_factories hook.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest


class _TimerOnlySelector:
    """A selector with no file descriptors: select() waits for the next timer."""

    def select(self, timeout: float | None = None) -> list:
        if timeout is None:
            # Nothing is scheduled and no I/O can wake the loop, so a future
            # that is awaited now can never be resolved.
            raise RuntimeError(
                "The event loop has no ready callbacks and no timers: the test "
                "awaits a future that nothing will resolve."
            )
        if timeout > 0:
            time.sleep(timeout)
        return []

    def close(self) -> None:
        pass


class TimerEventLoop(asyncio.BaseEventLoop):
    """An asyncio loop for code that only awaits futures, tasks and timers."""

    def __init__(self) -> None:
        super().__init__()
        self._selector = _TimerOnlySelector()

    def _process_events(self, event_list: list) -> None:
        pass

    def _write_to_self(self) -> None:
        # The loop runs on one thread, so call_soon_threadsafe needs no wake-up.
        pass


class PyodidePlugin:
    """Pytest plugin: supplies the loop above and counts outcomes for the summary."""

    def __init__(self) -> None:
        self.counts = {"passed": 0, "failed": 0, "skipped": 0}

    def pytest_asyncio_loop_factories(self, config, item):
        return {"timer": TimerEventLoop}

    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "call" or report.outcome != "passed":
            if report.outcome in self.counts:
                self.counts[report.outcome] += 1


def main(project: str, pytest_args: list[str]) -> int:
    os.chdir(project)
    sys.path.insert(0, project)
    plugin = PyodidePlugin()
    args = ["-q", "-p", "no:cacheprovider", *pytest_args]
    if not any(arg.startswith("tests") for arg in pytest_args):
        args.append("tests/app")
    # Pyodide marks its WebLoop as the running loop for the whole session, and
    # asyncio.Runner.run raises RuntimeError inside a running loop.
    web_loop = asyncio.events._get_running_loop()
    asyncio.events._set_running_loop(None)
    try:
        status = int(pytest.main(args, plugins=[plugin]))
    finally:
        asyncio.events._set_running_loop(web_loop)
    import pyodide

    counts = plugin.counts
    python_version = sys.version.split()[0]
    print(f"Unit tests under Pyodide {pyodide.__version__} (Python {python_version}):")
    print(
        f"pyodide: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped"
    )
    return status
