"""The history panel: files the server processed for this user, newest first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import js
from pyodide.ffi import create_proxy

from app.auth import SessionExpired
from app.browser.downloads import save_url
from app.errors import HttpError, NetworkError
from app.format import format_size
from app.validation import display_name

__all__ = ["HistoryPanel"]

log = logging.getLogger(__name__)

# Successes within this many seconds share one history request.
_RELOAD_DELAY = 0.5
# Entries shown; older ones stay on the server.
_MAX_ENTRIES = 50


class HistoryPanel:
    """The history list. Its requests go through `send_with_token`, which
    refreshes an expired access token once (`TokenManager.send_with_token`).
    """

    def __init__(
        self,
        js_list,
        js_empty,
        api,
        show_message: Callable[[str, str], None],
        send_with_token: Callable[[Callable[[str], Awaitable]], Awaitable],
    ):
        self._js_list = js_list
        self._js_empty = js_empty
        self._api = api
        self._show_message = show_message
        self._send_with_token = send_with_token
        self._pending: asyncio.Task | None = None
        self._entries: dict[str, dict] = {}
        self._click_proxy = create_proxy(self._on_click)
        js_list.addEventListener("click", self._click_proxy)

    def clear(self) -> None:
        self._entries.clear()
        self._js_list.replaceChildren()
        self._js_empty.hidden = False

    def schedule_load(self) -> None:
        """Reload soon, once for a burst of finished uploads."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._load_later())

    async def _load_later(self) -> None:
        await asyncio.sleep(_RELOAD_DELAY)
        await self.load()

    async def load(self) -> None:
        try:
            entries = await self._send_with_token(self._api.history)
        except SessionExpired:
            # The sign-in form is showing, and a sign-in loads the list again.
            log.info("History not loaded: no valid session")
            return
        except (HttpError, NetworkError) as error:
            log.warning("History request failed: %s", error.message)
            self._show_message(f"Could not load the history: {error.message}", "warning")
            return
        self._render(entries[:_MAX_ENTRIES])

    def _render(self, entries: list[dict]) -> None:
        self._entries = {}
        self._js_list.replaceChildren()
        for entry in entries:
            entry_id = str(entry.get("id", ""))
            if not entry_id:
                continue
            self._entries[entry_id] = entry
            self._js_list.appendChild(self._entry_element(entry_id, entry))
        self._js_empty.hidden = bool(self._entries)

    def _entry_element(self, entry_id: str, entry: dict):
        doc = js.document
        js_row = doc.createElement("li")
        js_row.className = "row"
        js_row.dataset.historyId = entry_id
        js_main = doc.createElement("div")
        js_name = doc.createElement("div")
        js_name.className = "row-name"
        js_name.textContent = display_name(str(entry.get("fileName", "")))
        js_meta = doc.createElement("div")
        js_meta.className = "row-meta"
        size = entry.get("size")
        created = str(entry.get("createdAt", "")).replace("T", " ")[:16]
        size_text = format_size(size) if isinstance(size, int) else ""
        js_meta.textContent = " · ".join(part for part in (size_text, created) if part)
        js_main.append(js_name, js_meta)
        js_actions = doc.createElement("div")
        js_actions.className = "row-actions"
        js_button = doc.createElement("button")
        js_button.type = "button"
        js_button.textContent = "Download"
        js_actions.appendChild(js_button)
        js_row.append(js_main, js_actions)
        return js_row

    def _on_click(self, js_event) -> None:
        js_button = js_event.target.closest("button")
        js_row = js_button.closest("[data-history-id]") if js_button else None
        if js_row is None:
            return
        entry = self._entries.get(str(js_row.dataset.historyId))
        if entry is not None:
            asyncio.ensure_future(self._download(entry))

    async def _download(self, entry: dict) -> None:
        url = str(entry.get("downloadUrl", ""))
        try:
            js_blob = await self._send_with_token(
                lambda token: self._api.download(url, token)
            )
        except (SessionExpired, HttpError, NetworkError) as error:
            self._show_message(f"Download failed: {error.message}", "error")
            return
        url = js.URL.createObjectURL(js_blob)
        save_url(url, str(entry.get("fileName") or "download"))
        # The download has started; the URL is no longer needed after a moment.
        js.setTimeout(create_proxy(lambda: js.URL.revokeObjectURL(url)), 60_000)
