"""The upload list in the page: one row per file, updated once per frame.

Progress events arrive many times a second per upload. Rows are marked
dirty and redrawn together in the next animation frame, and only the
properties that changed are written to the DOM. Every text is set with
`textContent`, never as HTML, so a file named like a tag stays text.
"""

from __future__ import annotations

from collections.abc import Callable

import js
from pyodide.ffi import create_proxy

from app.model import UploadItem
from app.presenter import RowView, present_foreign_item, present_item

__all__ = ["QueueView"]

# When the tab is hidden the browser stops animation frames; a timer keeps
# rows current at a lower rate.
_HIDDEN_REDRAW_MS = 250


class _Row:
    """The elements of one row and the values they show."""

    def __init__(self, item_id: str) -> None:
        doc = js.document
        self.js_root = doc.createElement("li")
        self.js_root.className = "row"
        self.js_root.dataset.fileId = item_id

        main = _child(self.js_root, "div", "row-main")
        self.js_name = _child(main, "div", "row-name")
        self.js_meta = _child(main, "div", "row-meta")
        self.js_actions = _child(self.js_root, "div", "row-actions")

        progress = _child(self.js_root, "div", "row-progress")
        self.js_bar = _child(progress, "div", "bar")
        self.js_bar.setAttribute("role", "progressbar")
        self.js_bar.setAttribute("aria-valuemin", "0")
        self.js_bar.setAttribute("aria-valuemax", "100")
        self.js_fill = _child(self.js_bar, "div", "bar-fill")
        self.js_percent = _child(progress, "span", "row-percent")

        self.js_status = _child(self.js_root, "p", "row-status")
        self.js_badge = _child(self.js_status, "span", "badge")
        self.js_detail = _child(self.js_status, "span", "detail")
        self.shown: RowView | None = None

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
            self.js_fill.style.width = f"{view.percent}%"
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
        self._dirty: set[str] = set()
        # Rows of files that another tab uploads: shown, never acted on here.
        self._foreign: set[str] = set()
        self._frame_requested = False
        self._redraw_proxy = create_proxy(self._redraw)
        self._click_proxy = create_proxy(self._on_click)
        js_list.addEventListener("click", self._click_proxy)

    def add(self, item: UploadItem) -> None:
        row = _Row(item.id)
        self._rows[item.id] = row
        self._items[item.id] = item
        self._js_list.appendChild(row.js_root)
        self.mark(item)

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
        now = self._clock()
        max_attempts = self._max_attempts()
        dirty, self._dirty = self._dirty, set()
        for item_id in dirty:
            row = self._rows.get(item_id)
            item = self._items.get(item_id)
            if row is None or item is None:
                continue
            if item_id in self._foreign:
                row.update(present_foreign_item(item))
            else:
                row.update(present_item(item, now, max_attempts))
        self._after_redraw()

    def _on_click(self, js_event) -> None:
        js_button = js_event.target.closest("button[data-action]")
        if js_button is None:
            return
        js_row = js_button.closest("[data-file-id]")
        if js_row is None:
            return
        self._on_action(str(js_button.dataset.action), str(js_row.dataset.fileId))
