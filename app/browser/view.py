"""The upload list in the page: one row per file, updated once per frame.

Progress events arrive many times a second per upload. Rows are marked
dirty and redrawn together in the next animation frame. New rows are
created in animation frames too, in the order the files were added. Each
frame stops preparing rows after `_FRAME_BUDGET` seconds and leaves the
rest to the next frame, so adding thousands of files at once is spread
over several frames instead of one long task.

Python decides what every row shows (`app.presenter`) and which of its
fields changed. The changes of a frame go to the page's row writer
(`uploaderBatch.rowList` in assets/batch.js) as one JSON text, because one
call per DOM property would cost more than the rest of the frame. Every
text is set with `textContent`, never as HTML, so a file named like a tag
stays text.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from app.browser.interop import is_null
from app.model import UploadItem
from app.presenter import RowView, present_foreign_item, present_item, row_changes

__all__ = ["QueueView"]

# When the tab is hidden the browser stops animation frames; a timer keeps
# rows current at a lower rate.
_HIDDEN_REDRAW_MS = 250
# Seconds of row work per frame in Python. It keeps each task well under
# the 50 ms that browsers report as a long task, together with the row
# writer's share, while a burst of new rows may cost a few frames.
_FRAME_BUDGET = 0.015


def _row_template():
    """Build the element tree that every row is cloned from."""
    js_root = js.document.createElement("li")
    js_root.className = "row"
    main = _child(js_root, "div", "row-main")
    _child(main, "div", "row-name")
    _child(main, "div", "row-meta")
    _child(js_root, "div", "row-actions")
    progress = _child(js_root, "div", "row-progress")
    js_bar = _child(progress, "div", "bar")
    js_bar.setAttribute("role", "progressbar")
    js_bar.setAttribute("aria-valuemin", "0")
    js_bar.setAttribute("aria-valuemax", "100")
    _child(js_bar, "div", "bar-fill")
    _child(progress, "span", "row-percent")
    status = _child(js_root, "p", "row-status")
    _child(status, "span", "badge")
    _child(status, "span", "detail")
    return js_root


def _child(js_parent, tag: str, class_name: str):
    js_element = js.document.createElement(tag)
    if class_name:
        js_element.className = class_name
    js_parent.appendChild(js_element)
    return js_element


class QueueView:
    """Keeps the `<ul>` of uploads in step with the queue."""

    def __init__(
        self,
        js_list,
        *,
        clock: Callable[[], float],
        max_attempts: Callable[[], int],
        on_action: Callable[[str, str], None],
        after_redraw: Callable[[], None],
    ) -> None:
        self._js_rows = js.uploaderBatch.rowList(js_list, _row_template())
        self._clock = clock
        self._max_attempts = max_attempts
        self._on_action = on_action
        self._after_redraw = after_redraw
        # What each created row shows, by item id.
        self._row_views: dict[str, RowView] = {}
        self._items: dict[str, UploadItem] = {}
        # Ids of added items whose rows are not created yet, oldest first.
        self._unbuilt: deque[str] = deque()
        self._dirty: set[str] = set()
        # Rows of files that another tab uploads: shown, never acted on here.
        self._foreign: set[str] = set()
        self._frame_requested = False
        self._redraw_proxy = create_proxy(self._redraw)
        self._click_proxy = create_proxy(self._on_click)
        js_list.addEventListener("click", self._click_proxy)

    def add(self, item: UploadItem) -> None:
        """Note a new item; its row is created in a coming frame."""
        self._items[item.id] = item
        self._unbuilt.append(item.id)
        self._request_frame()

    def add_foreign(self, item: UploadItem) -> None:
        """Show the row of a file that another tab of the same user uploads."""
        self._foreign.add(item.id)
        self.add(item)

    def remove(self, item: UploadItem) -> None:
        old = self._row_views.pop(item.id, None)
        self._items.pop(item.id, None)
        self._foreign.discard(item.id)
        self._dirty.discard(item.id)
        if old is not None:
            self._js_rows.remove(item.id)
        self._request_frame()

    def mark(self, item: UploadItem) -> None:
        """Note that `item` changed; its row is redrawn in the next frame."""
        self._dirty.add(item.id)
        self._request_frame()

    def _request_frame(self) -> None:
        if self._frame_requested:
            return
        self._frame_requested = True
        if js.document.hidden:
            js.setTimeout(self._redraw_proxy, _HIDDEN_REDRAW_MS)
        else:
            js.requestAnimationFrame(self._redraw_proxy)

    def _present(self, item: UploadItem, now: float, max_attempts: int) -> RowView:
        if item.id in self._foreign:
            return present_foreign_item(item)
        return present_item(item, now, max_attempts)

    def _redraw(self, *args) -> None:
        self._frame_requested = False
        deadline = time.perf_counter() + _FRAME_BUDGET
        now = self._clock()
        max_attempts = self._max_attempts()
        changes: list = []
        self._build_rows(changes, deadline, now, max_attempts)
        dirty = self._dirty
        row_views = self._row_views
        while dirty and time.perf_counter() < deadline:
            item_id = dirty.pop()
            old = row_views.get(item_id)
            item = self._items.get(item_id)
            if old is None or item is None:
                continue
            view = self._present(item, now, max_attempts)
            if view != old:
                changes.append((item_id, row_changes(old, view)))
                row_views[item_id] = view
        if changes:
            self._js_rows.apply(json.dumps(changes, ensure_ascii=False, separators=(",", ":")))
        if self._unbuilt or self._dirty:
            self._request_frame()
        self._after_redraw()

    def _build_rows(
        self, changes: list, deadline: float, now: float, max_attempts: int
    ) -> None:
        """Add the waiting rows to `changes` until `deadline`, oldest first."""
        unbuilt = self._unbuilt
        while unbuilt and time.perf_counter() < deadline:
            item_id = unbuilt.popleft()
            item = self._items.get(item_id)
            if item is None or item_id in self._row_views:
                continue
            view = self._present(item, now, max_attempts)
            changes.append((item_id, row_changes(None, view)))
            self._row_views[item_id] = view
            self._dirty.discard(item_id)

    def _on_click(self, js_event) -> None:
        js_button = js_event.target.closest("button[data-action]")
        if is_null(js_button):
            return
        js_row = js_button.closest("[data-file-id]")
        if is_null(js_row):
            return
        self._on_action(str(js_button.dataset.action), str(js_row.dataset.fileId))
