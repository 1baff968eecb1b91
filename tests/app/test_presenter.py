"""Tests of the texts and buttons each row shows."""

from __future__ import annotations

from dataclasses import replace

from app.model import FileInfo, UploadItem, UploadOptions, UploadQueue, UploadStatus
from app.presenter import RowView, present_foreign_item, present_item, row_changes, summarize_queue
from app.transport import UploadResponse

S = UploadStatus


def make_item(status, **fields):
    info = FileInfo(name="<b>x</b>.txt", size=2048, type="text/plain", last_modified=1)
    item = UploadItem(
        id="a", file=info, options=UploadOptions(), idempotency_key="k", status=status
    )
    for name, value in fields.items():
        setattr(item, name, value)
    return item


def test_presenter_retrying_counts_down():
    item = make_item(S.RETRYING, attempts=1, next_retry_at=103.0, error="HTTP 503.")
    view = present_item(item, now=100.2, max_attempts=4)
    assert view.detail == "HTTP 503. Attempt 2 of 4, next try in 3 s."
    assert view.actions == ("Cancel",)


def test_presenter_retrying_after_manual_retry_counts_fresh_budget():
    item = make_item(S.RETRYING, attempts=5, budget_start=4, next_retry_at=101.0)
    view = present_item(item, now=100.0, max_attempts=4)
    assert "Attempt 2 of 4" in view.detail


def test_presenter_uploading_never_shows_full_before_sent():
    item = make_item(S.UPLOADING, loaded=2047, total=2048, attempts=1)
    assert present_item(item, 0, 4).percent == 99


def test_presenter_processing_is_full_bar():
    view = present_item(make_item(S.PROCESSING), 0, 4)
    assert view.percent == 100
    assert "processing" in view.badge.lower()


def test_presenter_uploading_shows_speed_and_time_left():
    item = make_item(S.UPLOADING, loaded=1024, total=2048, attempts=1)
    item.meter.add(0.0, 0)
    item.meter.add(1.0, 1024)
    detail = present_item(item, 1.0, 4).detail
    assert "1.0 KB of 2.0 KB" in detail
    assert "1.0 KB/s" in detail
    assert "1 s left" in detail


def test_presenter_actions_by_status():
    assert present_item(make_item(S.SUCCEEDED, result=UploadResponse(200, None, "o.txt", "text/plain", 10)), 0, 4).actions == ("Download", "Remove")
    assert present_item(make_item(S.FAILED, retryable=True), 0, 4).actions == ("Retry", "Remove")
    assert present_item(make_item(S.FAILED, retryable=False), 0, 4).actions == ("Remove",)
    assert present_item(make_item(S.CANCELLED), 0, 4).actions == ("Retry", "Remove")


def test_presenter_keeps_name_as_plain_text():
    assert present_item(make_item(S.QUEUED), 0, 4).name == "<b>x</b>.txt"


def test_summary_lists_nonzero_counts():
    queue = UploadQueue()
    queue.add(make_item(S.QUEUED))
    assert summarize_queue(queue) == "1 queued"


def test_presenter_restored_without_file_asks_for_it():
    view = present_item(make_item(S.INTERRUPTED, needs_file=True), 0, 4)
    assert view.actions == ("Select file again", "Remove")
    assert "Select the same file again" in view.detail


def test_presenter_interrupted_with_file_can_cancel():
    view = present_item(make_item(S.INTERRUPTED), 0, 4)
    assert view.actions == ("Cancel",)


def test_presenter_failed_without_file_asks_for_it():
    item = make_item(S.FAILED, needs_file=True, retryable=True, error="HTTP 503.")
    assert present_item(item, 0, 4).actions == ("Select file again", "Remove")


def test_presenter_foreign_row_has_no_actions():
    view = present_foreign_item(make_item(S.INTERRUPTED, loaded=1024, total=2048))
    assert view.status == "interrupted"
    assert view.badge == "In another tab"
    assert view.actions == ()
    assert view.percent == 50


QUEUED_VIEW = RowView(
    status="queued",
    badge="Queued",
    name="report.docx",
    meta="2.0 KB · Standard",
    percent=0,
    detail="Waiting for a free upload slot.",
    actions=("Cancel",),
    attempts=0,
)


def test_row_changes_of_new_row_has_every_field():
    assert row_changes(None, QUEUED_VIEW) == {
        "status": "queued",
        "attempts": 0,
        "name": "report.docx",
        "label": "Upload progress of report.docx",
        "meta": "2.0 KB · Standard",
        "percent": 0,
        "percentText": "0 %",
        "badge": "Queued",
        "detail": "Waiting for a free upload slot.",
        "actions": [["cancel", "Cancel"]],
    }


def test_row_changes_of_same_view_is_empty():
    assert row_changes(QUEUED_VIEW, QUEUED_VIEW) == {}


def test_row_changes_lists_only_changed_fields():
    uploading = replace(
        QUEUED_VIEW,
        status="uploading",
        badge="Uploading",
        percent=42,
        detail="840 B of 2.0 KB",
        attempts=1,
    )
    assert row_changes(QUEUED_VIEW, uploading) == {
        "status": "uploading",
        "attempts": 1,
        "percent": 42,
        "percentText": "42 %",
        "badge": "Uploading",
        "detail": "840 B of 2.0 KB",
    }


def test_row_changes_actions_carry_their_keys():
    failed = replace(QUEUED_VIEW, actions=("Select file again", "Remove"))
    assert row_changes(QUEUED_VIEW, failed) == {
        "actions": [["select file again", "Select file again"], ["remove", "Remove"]]
    }


def test_row_changes_new_name_brings_its_label():
    renamed = replace(QUEUED_VIEW, name="notes.md")
    assert row_changes(QUEUED_VIEW, renamed) == {
        "name": "notes.md",
        "label": "Upload progress of notes.md",
    }
