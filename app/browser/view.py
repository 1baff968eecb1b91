"""The upload list in the page: one row per file, updated once per frame.

Progress events arrive many times a second per upload. Rows are marked
dirty and redrawn together in the next animation frame, and only the
properties that changed are written to the DOM. New rows are created in
animation frames too, in the order the files were added. Each frame stops
creating and redrawing rows after `_FRAME_BUDGET` seconds and leaves the
rest to the next frame, so adding thousands of files at once is spread
over several frames instead of one long task. Every text is set with `textContent`, never as HTML, so
a file named like a tag stays text.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from app.browser.interop import is_null
from app.model import UploadItem
from app.presenter import RowView, present_foreign_item, present_item

__all__ = ["QueueView"]

# When the tab is hidden the browser stops animation frames; a timer keeps
# rows current at a lower rate.
_HIDDEN_REDRAW_MS = 250
# Seconds of row work per frame. It keeps each task well under the 50 ms
# that browsers report as a long task, while a burst of new rows may cost
# a few frames.
_FRAME_BUDGET = 0.025


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


# The elements of a row that change, in document order.
_ROW_PARTS = ".row-name, .row-meta, .row-actions, .bar, .bar-fill, .row-percent, .badge, .detail"


class _Row:
    """The elements of one row and the values they show.

    A row is a clone of `js_source`, whose elements already show `shown`,
    so `update` writes only what differs from it.
    """

    def __init__(self, js_source, shown: RowView | None, item_id: str) -> None:
        # A clone and one query instead of a call per element, because calls
        # from Python into JavaScript dominate the cost of a row.
        self.js_root = js_source.cloneNode(True)
        self.js_root.dataset.fileId = item_id
        (
            self.js_name,
            self.js_meta,
            self.js_actions,
            self.js_bar,
            self.js_fill,
            self.js_percent,
            self.js_badge,
            self.js_detail,
        ) = js.Array.from_(self.js_root.querySelectorAll(_ROW_PARTS)).to_py(depth=1)
        self.shown = shown

    def update(self, view: RowView) -> None:
        old = self.shown
        if old is None or old.status != view.status:
            self.js_root.dataset.status = view.status
        if old is None or old.attempts != view.attempts:
            self.js_root.dataset.attempts = str(view.attempts)
        if old is None or old.name != view.name:
            self.js_name.textContent = view.name
            self.js_bar.setAttribute("aria-label", f"Upload progress of {view.name}")
        if old is None or old.meta != view.meta:
            self.js_meta.textContent = view.meta
        if old is None or old.percent != view.percent:
            self.js_bar.setAttribute("aria-valuenow", str(view.percent))
            self.js_fill.style.transform = f"scaleX({view.percent / 100})"
            self.js_percent.textContent = f"{view.percent} %"
        if old is None or old.badge != view.badge:
            self.js_badge.textContent = view.badge
        if old is None or old.detail != view.detail:
            self.js_detail.textContent = view.detail
        if old is None or old.actions != view.actions:
            self._set_actions(view.actions)
        self.shown = view

    def _set_actions(self, actions: tuple[str, ...]) -> None:
        self.js_actions.replaceChildren()
        for action in actions:
            button = _child(self.js_actions, "button", "")
            button.type = "button"
            button.dataset.action = action.lower()
            button.textContent = action


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
        self._js_list = js_list
        self._clock = clock
        self._max_attempts = max_attempts
        self._on_action = on_action
        self._after_redraw = after_redraw
        self._rows: dict[str, _Row] = {}
        self._items: dict[str, UploadItem] = {}
        # Ids of added items whose rows are not created yet, oldest first.
        self._unbuilt: deque[str] = deque()
        self._dirty: set[str] = set()
        # The element new rows are cloned from and the view it shows; after
        # the first row it is a copy of a drawn queued row.
        self._js_template = _row_template()
        self._template_view: RowView | None = None
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
        row = self._rows.pop(item.id, None)
        self._items.pop(item.id, None)
        self._foreign.discard(item.id)
        self._dirty.discard(item.id)
        if row is not None:
            row.js_root.remove()
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

    def _redraw(self, *args) -> None:
        self._frame_requested = False
        deadline = time.perf_counter() + _FRAME_BUDGET
        now = self._clock()
        max_attempts = self._max_attempts()
        self._build_rows(deadline, now, max_attempts)
        dirty = self._dirty
        while dirty and time.perf_counter() < deadline:
            item_id = dirty.pop()
            row = self._rows.get(item_id)
            item = self._items.get(item_id)
            if row is None or item is None:
                continue
            if item_id in self._foreign:
                row.update(present_foreign_item(item))
            else:
                row.update(present_item(item, now, max_attempts))
        if self._unbuilt or self._dirty:
            self._request_frame()
        self._after_redraw()

    def _build_rows(self, deadline: float, now: float, max_attempts: int) -> None:
        """Create waiting rows until `deadline`, appending them in one call."""
        js_fragment = None
        while self._unbuilt and time.perf_counter() < deadline:
            item_id = self._unbuilt.popleft()
            item = self._items.get(item_id)
            if item is None or item_id in self._rows:
                continue
            row = _Row(self._js_template, self._template_view, item_id)
            if item_id in self._foreign:
                view = present_foreign_item(item)
            else:
                view = present_item(item, now, max_attempts)
            row.update(view)
            if self._template_view is None:
                self._js_template = row.js_root.cloneNode(True)
                self._template_view = view
            self._rows[item_id] = row
            self._dirty.discard(item_id)
            if js_fragment is None:
                js_fragment = js.document.createDocumentFragment()
            js_fragment.appendChild(row.js_root)
        if js_fragment is not None:
            self._js_list.appendChild(js_fragment)

    def _on_click(self, js_event) -> None:
        js_button = js_event.target.closest("button[data-action]")
        if is_null(js_button):
            return
        js_row = js_button.closest("[data-file-id]")
        if is_null(js_row):
            return
        self._on_action(str(js_button.dataset.action), str(js_row.dataset.fileId))
