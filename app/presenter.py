"""What each row of the upload list shows, computed from an item and the time.

The browser view only copies these values into the page, so every text a
person reads about an upload is decided here and tested under CPython.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.format import format_duration, format_size, format_speed
from app.model import UploadItem, UploadQueue, UploadStatus
from app.validation import display_name

__all__ = [
    "SELECT_AGAIN",
    "RowView",
    "present_foreign_item",
    "present_item",
    "row_changes",
    "summarize_queue",
]

S = UploadStatus

# The action of a row restored without its File object.
SELECT_AGAIN = "Select file again"

_BADGES = {
    S.QUEUED: "Queued",
    S.UPLOADING: "Uploading",
    S.PROCESSING: "Processing",
    S.RETRYING: "Retrying",
    S.PAUSED: "Paused",
    S.INTERRUPTED: "Interrupted",
    S.SUCCEEDED: "Done",
    S.FAILED: "Failed",
    S.CANCELLED: "Cancelled",
    S.AUTH_REQUIRED: "Sign-in needed",
}

_WAITING_TEXT = {
    S.QUEUED: "Waiting for a free upload slot.",
    S.PROCESSING: "Uploaded. The server is paraphrasing the file…",
    S.PAUSED: "Paused while offline. It resumes when the connection returns.",
    S.INTERRUPTED: "Interrupted when the page closed.",
    S.CANCELLED: "Cancelled. Nothing was kept on the server.",
    S.AUTH_REQUIRED: "Waiting for you to sign in again.",
}


@dataclass(frozen=True)
class RowView:
    """Texts, percent and buttons of one row."""

    status: str
    badge: str
    name: str
    meta: str
    percent: int
    detail: str
    actions: tuple[str, ...]
    attempts: int


def present_item(item: UploadItem, now: float, max_attempts: int) -> RowView:
    """Return what the row of `item` shows at time `now`."""
    status = item.status
    meta = f"{format_size(item.file.size)} · {item.options.summary()}"
    return RowView(
        status=status.value,
        badge=_BADGES[status],
        name=display_name(item.file.name),
        meta=meta,
        percent=_percent(item),
        detail=_detail(item, now, max_attempts),
        actions=_actions(item),
        attempts=item.attempts,
    )


def present_foreign_item(item: UploadItem) -> RowView:
    """Return what the row of a file that another tab of this user uploads shows."""
    return RowView(
        status=S.INTERRUPTED.value,
        badge="In another tab",
        name=display_name(item.file.name),
        meta=f"{format_size(item.file.size)} · {item.options.summary()}",
        percent=_percent(item),
        detail="Uploading in another tab. This tab takes over if that tab closes.",
        actions=(),
        attempts=item.attempts,
    )


def row_changes(old: RowView | None, new: RowView) -> dict[str, object]:
    """Return what the page must write to turn a row showing `old` into `new`.

    The keys are those the page's row writer takes (assets/batch.js):
    only the fields that differ, every field for a new row (`old` None).
    Texts derived from a field, such as the progress bar's label, come
    with it.
    """
    changes: dict[str, object] = {}
    if old is None or old.status != new.status:
        changes["status"] = new.status
    if old is None or old.attempts != new.attempts:
        changes["attempts"] = new.attempts
    if old is None or old.name != new.name:
        changes["name"] = new.name
        changes["label"] = f"Upload progress of {new.name}"
    if old is None or old.meta != new.meta:
        changes["meta"] = new.meta
    if old is None or old.percent != new.percent:
        changes["percent"] = new.percent
        changes["percentText"] = f"{new.percent} %"
    if old is None or old.badge != new.badge:
        changes["badge"] = new.badge
    if old is None or old.detail != new.detail:
        changes["detail"] = new.detail
    if old is None or old.actions != new.actions:
        changes["actions"] = [[action.lower(), action] for action in new.actions]
    return changes


def _percent(item: UploadItem) -> int:
    if item.status in (S.PROCESSING, S.SUCCEEDED):
        return 100
    # Rounded down, so 100 % is only shown once the whole body was sent.
    return min(99, math.floor(item.progress * 100)) if item.progress < 1 else 100


def _detail(item: UploadItem, now: float, max_attempts: int) -> str:
    status = item.status
    if status is S.UPLOADING:
        return _uploading_detail(item, max_attempts)
    if status is S.RETRYING:
        wait = max(0.0, (item.next_retry_at or now) - now)
        attempt = item.attempts - item.budget_start + 1
        reason = f"{item.error} " if item.error else ""
        return (
            f"{reason}Attempt {attempt} of {max_attempts}, "
            f"next try in {format_duration(wait)}."
        )
    if status is S.SUCCEEDED:
        size = getattr(item.result, "size", 0)
        if size:
            return f"{format_size(size)} ready to download."
        return "Ready to download."
    if status is S.FAILED:
        return item.error or "Failed."
    if status is S.INTERRUPTED and item.needs_file:
        return (
            "Interrupted when the page closed, and the browser no longer has the "
            "file. Select the same file again to continue."
        )
    return _WAITING_TEXT.get(status, "")


def _uploading_detail(item: UploadItem, max_attempts: int) -> str:
    parts = [f"{format_size(item.loaded)} of {format_size(item.total or item.file.size)}"]
    speed = item.meter.speed()
    if speed:
        parts.append(format_speed(speed))
        left = item.meter.time_left(max(0, (item.total or item.file.size) - item.loaded))
        if left is not None:
            parts.append(f"{format_duration(left)} left")
    attempt = item.attempts - item.budget_start
    if attempt > 1:
        parts.append(f"attempt {attempt} of {max_attempts}")
    return " · ".join(parts)


def _actions(item: UploadItem) -> tuple[str, ...]:
    status = item.status
    missing = item.needs_file
    if missing and status is S.INTERRUPTED:
        return (SELECT_AGAIN, "Remove")
    if missing and status in (S.FAILED, S.CANCELLED):
        return (SELECT_AGAIN, "Remove") if item.retryable else ("Remove",)
    if status is S.SUCCEEDED:
        return ("Download", "Remove")
    if status is S.FAILED:
        return ("Retry", "Remove") if item.retryable else ("Remove",)
    if status is S.CANCELLED:
        return ("Retry", "Remove")
    return ("Cancel",)


def summarize_queue(queue: UploadQueue) -> str:
    """Describe the queue in one line, such as "2 uploading, 3 queued, 1 done"."""
    counts = queue.counts()
    parts = []
    for status, label in (
        (S.UPLOADING, "uploading"),
        (S.PROCESSING, "processing"),
        (S.RETRYING, "retrying"),
        (S.QUEUED, "queued"),
        (S.PAUSED, "paused"),
        (S.INTERRUPTED, "interrupted"),
        (S.AUTH_REQUIRED, "waiting for sign-in"),
        (S.SUCCEEDED, "done"),
        (S.FAILED, "failed"),
        (S.CANCELLED, "cancelled"),
    ):
        if counts[status]:
            parts.append(f"{counts[status]} {label}")
    return ", ".join(parts)
