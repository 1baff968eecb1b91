"""The page's side of the bad-input catalogue in docs/bad-inputs.md.

These cases run on the plain modules (file checks, settings, the saved queue)
with fakes for the clock, transport and storage, so they run under CPython
and under Pyodide alike. Each checks the message and that a good file or a
good record is still accepted afterwards.
"""

from __future__ import annotations

import json

import pytest

from app.config import MIB, AppConfig
from app.errors import ConfigError, ValidationError
from app.model import FileInfo, UploadOptions, UploadStatus
from app.persistence import (
    MemoryStorage,
    PersistedFile,
    QueueMirror,
    StorageQuotaError,
    StorageUnavailableError,
    load_record,
    queue_key,
)
from app.validation import check_file, form_file_name
from tests.app.test_manager import make_manager

S = UploadStatus
OWNER = "alice"
KEY = queue_key(OWNER)
NOW_MS = 1_700_000_000_000.0
GOOD_FILE = FileInfo("good.txt", 100, "text/plain", 1, source=object())


def info(name: str, size: int = 100) -> FileInfo:
    return FileInfo(name, size, "", 1, source=object())


# Files checked in the page before any request is sent.

FILE_CASES = [
    ("empty", info("empty.txt", 0), "“empty.txt” is empty (0 bytes). Choose a file that contains text."),
    ("oversized", info("huge.txt", 50 * MIB + 1), "larger than the 50.0 MB limit. Split it or choose a smaller file."),
    ("image-extension", info("photo.png"), "“photo.png” has .png; this service accepts .txt, .md, .docx files."),
    ("no-extension", info("README"), "has no extension; this service accepts"),
    ("blank-name", info("   "), "The file has no name. Rename it and add it again."),
    ("control-characters", info("bad\x07\x1bname.exe"), "“bad\N{REPLACEMENT CHARACTER}\N{REPLACEMENT CHARACTER}name.exe” has .exe"),
    ("markup-name", info("<img src=x onerror=alert(1)>.html"), "“<img src=x onerror=alert(1)>.html” has .html"),
    ("very-long-name", info("n" * 5000 + ".pdf"), "…"),
    ("right-to-left-override", info("report\u202excod.exe"), "“report\N{REPLACEMENT CHARACTER}xcod.exe” has .exe"),
    ("delete-character", info("bad\x7fname.exe"), "“bad\N{REPLACEMENT CHARACTER}name.exe” has .exe"),
    ("spaces-before-extension", info("   .txt"), "has no extension; this service accepts"),
]


@pytest.mark.parametrize(("case", "file", "message"), FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_check_message(case, file, message):
    with pytest.raises(ValidationError) as raised:
        check_file(file, AppConfig())

    assert message in raised.value.message
    assert len(raised.value.message) < 400
    check_file(GOOD_FILE, AppConfig())


async def test_control_characters_left_out_of_form():
    manager, transport, clock = make_manager()

    manager.add_files([info("bell\x07tab\tname.txt")], UploadOptions())
    await clock.run(lambda: not manager._tasks)

    assert transport.transfers[0].request.file_name == "belltabname.txt"
    assert form_file_name("del\x7f.md") == "del.md"
    assert form_file_name("notes – ünïcode.txt") == "notes – ünïcode.txt"


async def test_same_file_selected_twice_added_once():
    manager, transport, clock = make_manager()
    file = FileInfo("twice.txt", 100, "text/plain", 7, source=object())
    again = FileInfo("twice.txt", 100, "text/plain", 7, source=object())

    first = manager.add_files([file, again], UploadOptions())
    second = manager.add_files([again], UploadOptions())

    assert len(first.added) == 1
    assert first.skipped == ["“twice.txt” is already in the queue."]
    assert second.skipped == ["“twice.txt” is already in the queue."]
    assert len(manager.queue) == 1
    await clock.run(lambda: not manager._tasks)
    assert next(iter(manager.queue)).status is S.SUCCEEDED


async def test_thousands_of_files_queue_bounded():
    manager, transport, clock = make_manager(config=AppConfig(concurrency=3))
    files = [info(f"file-{index}.txt") for index in range(3000)]

    result = manager.add_files(files, UploadOptions())

    assert len(result.added) == 3000
    assert len(manager._tasks) == 3
    await clock.run(lambda: not manager._tasks)
    assert transport.max_in_flight == 3
    assert len(transport.transfers) == 3000
    statuses = {item.status for item in manager.queue}
    assert statuses == {S.SUCCEEDED}
    assert len({item.idempotency_key for item in manager.queue}) == 3000


async def test_mixed_selection_keeps_good_files():
    manager, transport, clock = make_manager()
    files = [info("empty.txt", 0), info("good.md"), info("photo.png"), info("ok.docx")]

    result = manager.add_files(files, UploadOptions())

    assert [item.file.name for item in result.added] == ["good.md", "ok.docx"]
    assert [item.file.name for item in result.rejected] == ["empty.txt", "photo.png"]
    assert all(item.status is S.FAILED for item in result.rejected)
    await clock.run(lambda: not manager._tasks)
    assert [item.status for item in result.added] == [S.SUCCEEDED, S.SUCCEEDED]


# Settings out of range in config.json.

SETTINGS_CASES = [
    ("concurrency-zero", {"concurrency": 0}, "Setting concurrency is 0, outside the accepted range 1 to 16."),
    ("concurrency-huge", {"concurrency": 1000}, "outside the accepted range 1 to 16."),
    ("max-file-bytes-negative", {"maxFileBytes": -1}, "Setting maxFileBytes is -1"),
    ("retries-not-number", {"maxRetries": "three"}, "Setting maxRetries must be a whole number, got 'three'."),
    ("boolean-for-number", {"stallTimeout": True}, "Setting stallTimeout must be a number, got True."),
    ("unknown-key", {"concurency": 3}, "Unknown setting 'concurency'. Known settings:"),
    ("bad-api-url", {"apiBaseUrl": "ftp://host"}, "Setting apiBaseUrl must start with http:// or https://"),
    ("bad-extension", {"allowedExtensions": ["txt"]}, "Setting allowedExtensions must list extensions such as"),
    ("too-many-files-per-selection", {"maxFilesPerSelection": 0}, "Setting maxFilesPerSelection is 0"),
    ("max-kept-file-bytes-negative", {"maxKeptFileBytes": -1}, "Setting maxKeptFileBytes is -1"),
]


@pytest.mark.parametrize(("case", "values", "message"), SETTINGS_CASES, ids=[c[0] for c in SETTINGS_CASES])
def test_settings_out_of_range(case, values, message):
    with pytest.raises(ConfigError) as raised:
        AppConfig.from_mapping(values)

    assert message in raised.value.message
    assert AppConfig.from_mapping({"concurrency": 4}).concurrency == 4


def test_settings_not_an_object():
    with pytest.raises(ConfigError) as raised:
        AppConfig.from_mapping([1, 2])

    assert "must be a JSON object" in raised.value.message


# Stored state: the saved queue in localStorage.


def good_record(**changes) -> dict:
    entry = PersistedFile(
        id="file-1",
        name="notes.txt",
        size=100,
        type="text/plain",
        last_modified=1,
        status=S.QUEUED,
        progress=0.0,
        error=None,
        attempts=0,
        options=UploadOptions(),
        idempotency_key="key-1",
    )
    record = {"version": 1, "savedAt": int(NOW_MS), "owner": OWNER, "files": [entry.to_json()]}
    record.update(changes)
    return record


RECORD_CASES = [
    ("not-json", "{truncated", "it is not valid JSON"),
    ("json-array", "[1, 2]", "it is not a JSON object"),
    ("no-version", json.dumps({"owner": OWNER}), "it has no version"),
    ("old-version", json.dumps(good_record(version=0)), "its version is 0 and this page reads only version 1"),
    ("future-version", json.dumps(good_record(version=2)), "its version is 2"),
    ("foreign-owner", json.dumps(good_record(owner="mallory")), "it was saved by another user"),
    ("too-old", json.dumps(good_record(savedAt=NOW_MS - 25 * 3600 * 1000)), "it was saved more than 24 hours ago"),
    ("files-not-list", json.dumps(good_record(files="all")), "files must be a list"),
    ("entry-bad-status", json.dumps(good_record(files=[{**good_record()["files"][0], "status": "exploded"}])), "files[0] is invalid"),
    ("entry-extra-field", json.dumps(good_record(files=[{**good_record()["files"][0], "token": "secret"}])), "unknown fields token"),
    ("duplicate-ids", json.dumps(good_record(files=good_record()["files"] * 2)), "two entries have the same id"),
    ("huge-number", json.dumps(good_record(files=[{**good_record()["files"][0], "size": 2**60}])), "files[0] is invalid"),
]


@pytest.mark.parametrize(("case", "text", "reason"), RECORD_CASES, ids=[c[0] for c in RECORD_CASES])
def test_bad_record_ignored_with_reason(case, text, reason):
    storage = MemoryStorage()
    storage.set_item(KEY, text)

    result = load_record(storage, KEY, now_ms=NOW_MS, owner=OWNER)

    assert result.files == []
    assert result.problem.startswith("Saved upload queue was ignored because ")
    assert reason in result.problem
    assert storage.get_item(KEY) is None
    storage.set_item(KEY, json.dumps(good_record()))
    restored = load_record(storage, KEY, now_ms=NOW_MS, owner=OWNER)
    assert [entry.name for entry in restored.files] == ["notes.txt"]


class BlockedStorage:
    """localStorage as a browser with storage disabled exposes it."""

    def get_item(self, key: str) -> str | None:
        raise StorageUnavailableError("SecurityError")

    def set_item(self, key: str, value: str) -> None:
        raise StorageUnavailableError("SecurityError")

    def remove_item(self, key: str) -> None:
        raise StorageUnavailableError("SecurityError")


def test_disabled_storage_read_reports_problem():
    result = load_record(BlockedStorage(), KEY, now_ms=NOW_MS, owner=OWNER)

    assert result.files == []
    assert result.problem == (
        "Saved upload queue could not be read because the browser's storage is disabled."
    )


@pytest.mark.parametrize(
    ("storage", "notice"),
    [
        (MemoryStorage(quota_chars=10), "because the browser's storage is full."),
        (BlockedStorage(), "because the browser's storage is disabled."),
    ],
    ids=["full", "disabled"],
)
def test_unwritable_storage_degrades_with_notice(storage, notice):
    notices = []
    entry = PersistedFile.from_json(good_record()["files"][0])
    mirror = QueueMirror(
        storage, OWNER, lambda: [entry], now_ms=lambda: NOW_MS, on_degraded=notices.append
    )

    mirror.note_status_change()
    mirror.flush()

    assert mirror.degraded
    assert len(notices) == 1
    assert notices[0].startswith("Progress won't survive a reload")
    assert notices[0].endswith(notice)
    mirror.note_status_change()
    mirror.flush()
    assert len(notices) == 1


def test_full_storage_error_type():
    storage = MemoryStorage(quota_chars=4)

    with pytest.raises(StorageQuotaError):
        storage.set_item("key", "value")
