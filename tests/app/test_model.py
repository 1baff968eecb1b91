"""Tests of the queue model: statuses, transitions, options and selectors."""

from __future__ import annotations

import pytest

from app.model import (
    FileInfo,
    IllegalTransition,
    UploadItem,
    UploadOptions,
    UploadQueue,
    UploadStatus,
)

S = UploadStatus


def make_item(item_id="a", status=S.QUEUED, name="a.txt"):
    info = FileInfo(name=name, size=10, type="text/plain", last_modified=5)
    return UploadItem(id=item_id, file=info, options=UploadOptions(), idempotency_key="k", status=status)


def test_status_values_match_page_hooks():
    assert {status.value for status in S} == {
        "queued", "uploading", "processing", "retrying", "paused",
        "interrupted", "succeeded", "failed", "cancelled", "auth-required",
    }


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.QUEUED, S.UPLOADING),
        (S.UPLOADING, S.PROCESSING),
        (S.PROCESSING, S.SUCCEEDED),
        (S.UPLOADING, S.RETRYING),
        (S.RETRYING, S.UPLOADING),
        (S.FAILED, S.QUEUED),
        (S.PAUSED, S.QUEUED),
        (S.INTERRUPTED, S.QUEUED),
    ],
)
def test_item_allows_lifecycle_step(start, end):
    item = make_item(status=start)
    item.move_to(end)
    assert item.status is end


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (S.QUEUED, S.SUCCEEDED),
        (S.UPLOADING, S.SUCCEEDED),
        (S.SUCCEEDED, S.QUEUED),
        (S.SUCCEEDED, S.FAILED),
        (S.CANCELLED, S.UPLOADING),
    ],
)
def test_item_rejects_illegal_transition(start, end):
    item = make_item(status=start)
    with pytest.raises(IllegalTransition, match=f"from {start.value} to {end.value}"):
        item.move_to(end)


def test_options_from_inputs_parses_freeze_words():
    options = UploadOptions.from_inputs(
        "formal", "70", "en", "Fox, machine   learning\nfox\n\n, Dog"
    )
    assert options.mode == "formal"
    assert options.synonym == 70
    assert options.freeze == ("Fox", "machine learning", "Dog")


def test_options_form_fields_repeat_freeze():
    fields = UploadOptions(freeze=("a", "b c")).form_fields()
    assert fields == [
        ("mode", "standard"),
        ("synonym", "50"),
        ("language", "en"),
        ("freeze", "a"),
        ("freeze", "b c"),
    ]


def test_options_clamp_synonym_level():
    assert UploadOptions.from_inputs("standard", "250", "en", "").synonym == 100
    assert UploadOptions.from_inputs("standard", "x", "en", "").synonym == 50


def test_queue_selectors():
    queue = UploadQueue()
    queue.extend(
        [make_item("a", S.UPLOADING), make_item("b", S.QUEUED), make_item("c", S.FAILED)]
    )
    assert queue.has_active_uploads()
    assert queue.has_unfinished_work()
    assert [item.id for item in queue.with_status(S.FAILED)] == ["c"]
    assert queue.counts()[S.QUEUED] == 1


def test_queue_first_queued_in_order_up_to_count():
    queue = UploadQueue()
    queue.extend(
        [
            make_item("a", S.QUEUED),
            make_item("b", S.UPLOADING),
            make_item("c", S.QUEUED),
            make_item("d", S.QUEUED),
            make_item("e", S.QUEUED),
        ]
    )
    assert [item.id for item in queue.first_queued(2)] == ["a", "c"]
    assert [item.id for item in queue.first_queued(2, skip={"a"})] == ["c", "d"]
    assert [item.id for item in queue.first_queued(10)] == ["a", "c", "d", "e"]
    assert queue.first_queued(0) == []
    assert queue.first_queued(-1) == []


def test_status_hash_matches_identity_equality():
    assert len({status for status in UploadStatus}) == len(UploadStatus)
    assert {S.QUEUED: 1}[UploadStatus("queued")] == 1


def test_queue_idle_has_no_unfinished_work():
    queue = UploadQueue()
    queue.extend([make_item("a", S.SUCCEEDED), make_item("b", S.FAILED)])
    assert not queue.has_unfinished_work()


def test_queue_rejects_duplicate_id():
    queue = UploadQueue()
    queue.add(make_item("a"))
    with pytest.raises(ValueError, match="already"):
        queue.add(make_item("a"))


def test_item_progress_share():
    item = make_item(status=S.UPLOADING)
    item.loaded, item.total = 5, 10
    assert item.progress == 0.5
