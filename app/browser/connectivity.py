"""The window's `online` and `offline` events, fed to the network monitor.

Going offline pauses every upload at once. Coming back, the monitor first
checks `GET /api/health`; only when the server answers are the paused
uploads queued again, once per recovery however often the events flap.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from app.manager import UploadManager
from app.network import ConnectionState, NetworkMonitor

__all__ = ["Connectivity"]

log = logging.getLogger(__name__)


class Connectivity:
    """Connects the browser's network events to the monitor and the manager."""

    def __init__(
        self,
        manager: UploadManager,
        probe,
        js_banner,
        show_message: Callable[[str, str], None],
    ) -> None:
        self._manager = manager
        self._js_banner = js_banner
        self._show_message = show_message
        self.monitor = NetworkMonitor(
            probe,
            online=bool(js.navigator.onLine),
            on_change=self._on_change,
            on_resume=self._on_resume,
            on_probe_error=lambda error: log.warning("Health check failed: %r", error),
        )
        self._proxies = [create_proxy(self._on_online), create_proxy(self._on_offline)]
        js.window.addEventListener("online", self._proxies[0])
        js.window.addEventListener("offline", self._proxies[1])
        if self.monitor.is_paused:
            manager.pause_all()
        self._draw_banner()

    def transfer_failed(self) -> None:
        """Check reachability after an upload lost its connection while online."""
        self.monitor.network_error_seen()

    def _on_online(self, js_event) -> None:
        log.info("Browser reports online; checking the server")
        self.monitor.browser_online()
        self._draw_banner()

    def _on_offline(self, js_event) -> None:
        stopped = self._manager.pause_all()
        log.info("Browser reports offline; paused %d upload(s)", stopped)
        self.monitor.browser_offline()
        self._draw_banner()

    def _on_change(self, state: ConnectionState) -> None:
        if state is not ConnectionState.ONLINE and not self.monitor.server_reachable:
            if not self._manager.paused:
                stopped = self._manager.pause_all()
                log.warning("Server unreachable; paused %d upload(s)", stopped)
        self._draw_banner()

    def _on_resume(self) -> None:
        resumed = self._manager.resume_all()
        log.info("Connection back; resumed %d upload(s)", resumed)
        if resumed:
            noun = "upload" if resumed == 1 else "uploads"
            self._show_message(f"Connection restored. Resumed {resumed} {noun}.", "info")
        else:
            self._show_message("Connection restored.", "info")
        self._draw_banner()

    def _draw_banner(self) -> None:
        text = self.monitor.status_message()
        self._js_banner.hidden = text is None
        self._js_banner.textContent = text or ""
