"""Tests of the saved upload queue: record format, loading, throttle and fallback."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from app.errors import ConfigError
from app.model import FileInfo, UploadItem, UploadOptions, UploadStatus
from app.storage import MemoryStorage, StorageQuotaError, StorageUnavailableError
from app.persistence import (
    DEFAULT_MAX_AGE_MS,
    LoadResult,
    PersistedFile,
    QueueMirror,
    QueueSnapshot,
    RecordError,
    RestorePlan,
    load_record,
    queue_key,
)

S = UploadStatus
OWNER = "alice"
KEY = queue_key(OWNER)
START_MS = 1_700_000_000_000.0
HOUR_MS = 3600 * 1000


class FakeClock:
    """A clock in ms since the epoch that moves only when a test sets `now`."""

    def __init__(self, now: float = START_MS) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class DisabledStorage:
    """A storage that behaves like localStorage blocked by the browser."""

    def __init__(self, *, readable: bool = True) -> None:
        self.readable = readable
        self.removed: list[str] = []

    def get_item(self, key: str) -> str | None:
        if not self.readable:
            raise StorageUnavailableError("The storage is disabled.")
        return None

    def set_item(self, key: str, value: str) -> None:
        raise StorageUnavailableError("The storage is disabled.")

    def remove_item(self, key: str) -> None:
        self.removed.append(key)


def make_file(index: int = 1, status: UploadStatus = S.QUEUED, **changes):
    entry = PersistedFile(
        id=f"file-{index}",
        name=f"report-{index}.docx",
        size=1000 * index,
        type="application/octet-stream",
        last_modified=1_699_000_000_000 + index,
        status=status,
        progress=0.25,
        error=None,
        attempts=1,
        options=UploadOptions(
            mode="formal", synonym=70, language="de", freeze=("Acme GmbH", "API")
        ),
        idempotency_key=f"key-{index}",
    )
    return replace(entry, **changes)


def make_record(files=None, **changes) -> dict:
    record = {
        "version": 1,
        "savedAt": int(START_MS),
        "owner": OWNER,
        "files": [make_file().to_json()] if files is None else files,
    }
    record.update(changes)
    return record


def load(storage, now_ms: float = START_MS) -> LoadResult:
    return load_record(storage, KEY, now_ms=now_ms, owner=OWNER)


def stored(storage: MemoryStorage, key: str = KEY) -> dict:
    return json.loads(storage.items[key])


def all_keys(value) -> set[str]:
    if isinstance(value, dict):
        keys = set(value)
        for item in value.values():
            keys |= all_keys(item)
        return keys
    if isinstance(value, list):
        return set().union(*(all_keys(item) for item in value)) if value else set()
    return set()


# --- record format --------------------------------------------------------


def test_persisted_file_json_round_trip():
    entry = make_file(status=S.FAILED, error="The file is too large (HTTP 413).")

    assert PersistedFile.from_json(entry.to_json()) == entry


def test_persisted_file_from_item():
    info = FileInfo("notes.txt", 512, "text/plain", 1_699_000_000_000, source=b"x")
    item = UploadItem("file-9", info, UploadOptions(), "key-9", loaded=128)

    entry = PersistedFile.from_item(item)

    assert entry.name == "notes.txt"
    assert entry.progress == 0.25
    assert entry.idempotency_key == "key-9"
    assert entry.status is S.QUEUED


def test_mirror_round_trip_every_status():
    files = [make_file(i, status) for i, status in enumerate(UploadStatus)]
    storage = MemoryStorage()
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())

    mirror.note_status_change()
    result = load(storage)

    restored = {entry.id: entry.status for entry in result.files}
    assert result.problem is None
    assert restored == {
        "file-0": S.QUEUED,
        "file-1": S.INTERRUPTED,
        "file-2": S.INTERRUPTED,
        "file-3": S.INTERRUPTED,
        "file-4": S.PAUSED,
        "file-5": S.INTERRUPTED,
        "file-7": S.FAILED,
        "file-9": S.AUTH_REQUIRED,
    }


def test_mirror_round_trip_keeps_fields():
    entry = make_file(3, S.UPLOADING, progress=0.5, error="Retrying.", attempts=2)
    storage = MemoryStorage()
    mirror = QueueMirror(storage, OWNER, lambda: [entry], now_ms=FakeClock())

    mirror.note_status_change()
    (restored,) = load(storage).files

    assert restored == replace(entry, status=S.INTERRUPTED)


def test_succeeded_never_written():
    files = [make_file(1, S.SUCCEEDED), make_file(2, S.CANCELLED)]
    storage = MemoryStorage()
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())

    mirror.note_status_change()

    assert stored(storage)["files"] == []


def test_succeeded_in_record_not_restored():
    files = [make_file(1, S.SUCCEEDED).to_json(), make_file(2).to_json()]
    storage = MemoryStorage()
    storage.set_item(KEY, json.dumps(make_record(files)))

    result = load(storage)

    assert [entry.id for entry in result.files] == ["file-2"]
    assert result.problem is None


def test_written_json_has_no_token_or_bytes():
    info = FileInfo("a.txt", 3, "text/plain", 1, source=b"SECRET-BYTES")
    item = UploadItem("file-1", info, UploadOptions(), "key-1")
    storage = MemoryStorage()
    snapshot = lambda: [PersistedFile.from_item(item)]  # noqa: E731
    mirror = QueueMirror(storage, OWNER, snapshot, now_ms=FakeClock())

    mirror.note_status_change()
    text = storage.items[KEY]

    keys = all_keys(json.loads(text))
    assert not [key for key in keys if "token" in key.lower()]
    assert keys == {
        "version", "savedAt", "owner", "files", "id", "name", "size", "type",
        "lastModified", "status", "progress", "error", "attempts", "options",
        "idempotencyKey", "mode", "synonym", "language", "freeze",
    }  # fmt: skip
    assert "SECRET-BYTES" not in text


# --- bad records ----------------------------------------------------------


def test_load_missing_record():
    result = load(MemoryStorage())

    assert result == LoadResult(files=[], problem=None)


def entry_with(**changes) -> dict:
    entry = make_file().to_json()
    entry.update(changes)
    return entry


def entry_without(name: str) -> dict:
    entry = make_file().to_json()
    del entry[name]
    return entry


BAD_RECORDS = {
    "not-json": ("{not json", "it is not valid JSON"),
    "json-list": ("[1, 2]", "it is not a JSON object"),
    "json-string": ('"queue"', "it is not a JSON object"),
    "json-null": ("null", "it is not a JSON object"),
    "no-version": (make_record(version=None), "its version is None"),
    "version-2": (make_record(version=2), "its version is 2"),
    "version-true": (make_record(version=True), "its version is True"),
    "files-dict": (make_record(files={}), "files must be a list"),
    "saved-at-text": (make_record(savedAt="now"), "savedAt must be a number"),
    "owner-number": (make_record(owner=7), "owner must be a string"),
    "extra-field": (make_record(token="abc"), "unknown fields token"),
    "size-text": (make_record([entry_with(size="12")]), "size must be an integer"),
    "size-negative": (
        make_record([entry_with(size=-1)]),
        "size must be an integer from 0 to 9007199254740991, got -1",
    ),
    "modified-huge": (
        make_record([entry_with(lastModified=2**53)]),
        "lastModified must be an integer from",
    ),
    "status-list": (make_record([entry_with(status=["queued"])]), "status must be"),
    "saved-at-huge": (make_record(savedAt=10**400), "savedAt must be a number"),
    "name-long-list": (
        make_record([entry_with(name=list(range(1000)))]),
        "name must be a non-empty string, got [0, 1, 2, 3",
    ),
    "size-bool": (make_record([entry_with(size=True)]), "size must be an integer"),
    "status-unknown": (make_record([entry_with(status="done")]), "status must be"),
    "progress-big": (make_record([entry_with(progress=1.5)]), "progress must be"),
    "error-number": (make_record([entry_with(error=5)]), "error must be"),
    "id-empty": (make_record([entry_with(id="")]), "id must be a non-empty"),
    "key-null": (
        make_record([entry_with(idempotencyKey=None)]),
        "idempotencyKey must be a non-empty string",
    ),
    "entry-list": (make_record([[1]]), "files[0] is invalid"),
    "missing-field": (make_record([entry_without("lastModified")]), "missing"),
    "token-field": (
        make_record([entry_with(accessToken="secret")]),
        "unknown fields accessToken",
    ),
    "synonym-float": (
        make_record([entry_with(options={**entry_with()["options"], "synonym": 5.0})]),
        "options.synonym must be an integer",
    ),
    "synonym-bool": (
        make_record([entry_with(options={**entry_with()["options"], "synonym": True})]),
        "options.synonym must be an integer",
    ),
    "freeze-text": (
        make_record([entry_with(options={**entry_with()["options"], "freeze": "a"})]),
        "options.freeze must be a list of strings",
    ),
    "options-missing": (
        make_record([entry_with(options={"mode": "formal"})]),
        "options is missing",
    ),
    "duplicate-ids": (
        make_record([make_file().to_json(), make_file().to_json()]),
        "two entries have the same id",
    ),
}


@pytest.mark.parametrize("case", list(BAD_RECORDS))
def test_load_bad_record(case):
    content, reason = BAD_RECORDS[case]
    text = content if isinstance(content, str) else json.dumps(content)
    storage = MemoryStorage()
    storage.set_item(KEY, text)

    result = load(storage)

    assert result.files == []
    assert result.problem.startswith("Saved upload queue was ignored because ")
    assert reason in result.problem
    assert result.problem.endswith(".")
    assert len(result.problem) < 200
    assert storage.get_item(KEY) is None


def test_load_whole_float_numbers_accepted():
    entry = entry_with(size=1000.0, lastModified=1_699_000_000_001.0)
    storage = MemoryStorage()
    storage.set_item(KEY, json.dumps(make_record([entry])))

    (restored,) = load(storage).files

    assert restored.size == 1000
    assert isinstance(restored.last_modified, int)


def test_from_json_raises_record_error():
    with pytest.raises(RecordError) as caught:
        PersistedFile.from_json(entry_with(attempts=-1))

    assert isinstance(caught.value, ValueError)
    assert caught.value.reason == (
        "attempts must be an integer from 0 to 9007199254740991, got -1"
    )


@pytest.mark.parametrize(
    ("age_ms", "loaded"),
    [
        (DEFAULT_MAX_AGE_MS + 1000, False),
        (DEFAULT_MAX_AGE_MS + 1, False),
        (DEFAULT_MAX_AGE_MS, True),
        (DEFAULT_MAX_AGE_MS - 1000, True),
        (-HOUR_MS, True),
    ],
)
def test_load_age_limit(age_ms, loaded):
    storage = MemoryStorage()
    storage.set_item(KEY, json.dumps(make_record()))

    result = load(storage, now_ms=START_MS + age_ms)

    assert (len(result.files) == 1) is loaded
    if not loaded:
        assert result.problem == (
            "Saved upload queue was ignored because it was saved more than "
            "24 hours ago."
        )


def test_load_other_owner_ignored():
    storage = MemoryStorage()
    storage.set_item(KEY, json.dumps(make_record(owner="bob")))

    result = load(storage)

    assert result.files == []
    assert "saved by another user" in result.problem


def test_mirror_key_per_user():
    storage = MemoryStorage()
    alice = QueueMirror(storage, "alice", lambda: [make_file()], now_ms=FakeClock())
    bob = QueueMirror(storage, "bob", lambda: [], now_ms=FakeClock())

    alice.note_status_change()
    result = bob.load()

    assert alice.key != bob.key
    assert result == LoadResult(files=[], problem=None)


def test_queue_key_rejects_empty_owner():
    with pytest.raises(ConfigError, match="non-empty user name"):
        queue_key("")


def test_load_unreadable_storage():
    result = load(DisabledStorage(readable=False))

    assert result.files == []
    assert result.problem == (
        "Saved upload queue could not be read because the browser's storage is "
        "disabled."
    )


# --- throttle -------------------------------------------------------------


def test_progress_storm_throttled():
    clock = FakeClock()
    storage = MemoryStorage()
    progress = {"value": 0.0}
    snapshot = lambda: [make_file(progress=progress["value"])]  # noqa: E731
    mirror = QueueMirror(storage, OWNER, snapshot, now_ms=clock)

    for step in range(100):
        clock.now = START_MS + step * 10
        progress["value"] = step / 100
        mirror.note_progress()
    writes_during_storm = mirror.writes
    mirror.flush()

    assert writes_during_storm <= 3
    assert mirror.writes == writes_during_storm + 1
    assert stored(storage)["files"][0]["progress"] == 0.99
    assert mirror.dirty is False


def test_flush_without_change_does_not_write():
    mirror = QueueMirror(MemoryStorage(), OWNER, lambda: [make_file()], now_ms=FakeClock())

    mirror.note_progress()
    mirror.flush()

    assert mirror.writes == 1


def test_status_change_writes_at_once():
    clock = FakeClock()
    storage = MemoryStorage()
    files = [make_file()]
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=clock)
    mirror.note_progress()

    clock.now += 10
    files = [make_file(status=S.FAILED, error="Failed.")]
    mirror.note_status_change()

    assert mirror.writes == 2
    assert stored(storage)["files"][0]["status"] == "failed"


def test_progress_after_interval_writes():
    clock = FakeClock()
    mirror = QueueMirror(MemoryStorage(), OWNER, lambda: [make_file()], now_ms=clock)
    mirror.note_progress()

    clock.now += 499
    mirror.note_progress()
    clock.now += 1
    mirror.note_progress()

    assert mirror.writes == 2


def test_clock_moved_back_writes():
    clock = FakeClock()
    mirror = QueueMirror(MemoryStorage(), OWNER, lambda: [make_file()], now_ms=clock)
    mirror.note_progress()

    clock.now -= HOUR_MS
    mirror.note_progress()

    assert mirror.writes == 2


def test_clear_removes_record():
    storage = MemoryStorage()
    mirror = QueueMirror(storage, OWNER, lambda: [make_file()], now_ms=FakeClock())
    mirror.note_status_change()

    mirror.clear()

    assert storage.get_item(KEY) is None


# --- storage failures -----------------------------------------------------


def test_memory_storage_quota():
    storage = MemoryStorage(quota_chars=20)
    storage.set_item("k", "x" * 19)

    storage.set_item("k", "y" * 19)

    with pytest.raises(StorageQuotaError):
        storage.set_item("k", "z" * 20)
    with pytest.raises(StorageQuotaError):
        storage.set_item("other", "")
    assert storage.get_item("k") == "y" * 19


def long_error_files() -> list[PersistedFile]:
    return [
        make_file(1, S.UPLOADING, progress=0.123456789, error="Retrying. " * 40),
        make_file(2, S.FAILED, error="The server rejected the file (HTTP 415)."),
    ]


def record_length(files: list[PersistedFile]) -> int:
    storage = MemoryStorage()
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())
    mirror.note_status_change()
    return len(KEY) + len(storage.items[KEY])


def test_quota_prunes_finished_entries_first():
    files = long_error_files()
    quota = record_length(files) - 10
    storage = MemoryStorage(quota_chars=quota)
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())

    mirror.note_status_change()
    saved = stored(storage)["files"]

    assert mirror.degraded is False
    assert mirror.notice is None
    assert mirror.writes == 1
    assert [entry["status"] for entry in saved] == ["interrupted"]
    assert saved[0]["progress"] == 0.123456789
    assert saved[0]["error"] == "Retrying. " * 40


def test_quota_falls_back_to_reduced_record():
    files = long_error_files()
    quota = record_length(files[:1]) - 100
    storage = MemoryStorage(quota_chars=quota)
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())

    mirror.note_status_change()
    saved = stored(storage)["files"]

    assert mirror.degraded is False
    assert mirror.notice is None
    assert mirror.writes == 1
    assert [entry["status"] for entry in saved] == ["interrupted"]
    assert saved[0]["progress"] == 0.0
    assert saved[0]["error"] is None


def test_quota_falls_back_to_memory():
    files = long_error_files()
    storage = MemoryStorage(quota_chars=200)
    storage.set_item(KEY, "old")
    notices = []
    mirror = QueueMirror(
        storage, OWNER, lambda: files, now_ms=FakeClock(), on_degraded=notices.append
    )

    mirror.note_status_change()
    mirror.note_status_change()

    notice = "Progress won't survive a reload because the browser's storage is full."
    assert mirror.degraded is True
    assert mirror.notice == notice
    assert notices == [notice]
    assert storage.get_item(KEY) is None
    assert mirror.storage is not storage
    assert mirror.writes == 2
    assert len(mirror.load().files) == 2


def test_disabled_storage_falls_back_to_memory():
    storage = DisabledStorage()
    mirror = QueueMirror(storage, OWNER, lambda: [make_file()], now_ms=FakeClock())

    mirror.note_progress()

    assert mirror.degraded is True
    assert mirror.notice == (
        "Progress won't survive a reload because the browser's storage is disabled."
    )
    assert storage.removed == [KEY]
    assert isinstance(mirror.storage, MemoryStorage)
    assert mirror.load().files == [make_file()]


def test_quota_error_from_browser_fake():
    class FullStorage(MemoryStorage):
        """Refuses every write, as localStorage does once the origin is full."""

        def set_item(self, key: str, value: str) -> None:
            raise StorageQuotaError("QuotaExceededError: the quota has been exceeded.")

    storage = FullStorage()
    notices = []
    files = [make_file(1), make_file(2, S.FAILED, error="Failed.")]
    mirror = QueueMirror(
        storage, OWNER, lambda: files, now_ms=FakeClock(), on_degraded=notices.append
    )

    mirror.note_progress()

    assert mirror.degraded is True
    assert notices == [
        "Progress won't survive a reload because the browser's storage is full."
    ]
    assert [entry.id for entry in mirror.load().files] == ["file-1", "file-2"]


# --- tabs -----------------------------------------------------------------


def test_write_keeps_other_tabs_entries():
    storage = MemoryStorage()
    other_tab = QueueMirror(storage, OWNER, lambda: [make_file(1)], now_ms=FakeClock())
    other_tab.note_status_change()
    mine = [make_file(2)]
    this_tab = QueueMirror(storage, OWNER, lambda: mine, now_ms=FakeClock())

    this_tab.note_status_change()

    ids = [entry["id"] for entry in stored(storage)["files"]]
    assert sorted(ids) == ["file-1", "file-2"]


def test_write_drops_entries_finished_here():
    storage = MemoryStorage()
    mine = [make_file(1), make_file(2)]
    mirror = QueueMirror(storage, OWNER, lambda: mine, now_ms=FakeClock())
    mirror.note_status_change()

    mine = [make_file(2)]
    mirror.note_status_change()

    assert [entry["id"] for entry in stored(storage)["files"]] == ["file-2"]


def test_tab_without_files_never_writes():
    storage = MemoryStorage()
    other_tab = QueueMirror(storage, OWNER, lambda: [make_file(1)], now_ms=FakeClock())
    other_tab.note_status_change()
    before = storage.items[KEY]
    idle_tab = QueueMirror(storage, OWNER, lambda: [], now_ms=FakeClock())

    idle_tab.note_status_change()

    assert idle_tab.writes == 0
    assert storage.items[KEY] == before


def test_read_entry_sees_other_tabs_change():
    storage = MemoryStorage()
    files = [make_file(1, S.UPLOADING)]
    other_tab = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())
    other_tab.note_status_change()
    this_tab = QueueMirror(storage, OWNER, lambda: [], now_ms=FakeClock())

    assert this_tab.read_entry("file-1").status is S.INTERRUPTED
    files = []
    other_tab.note_status_change()
    assert this_tab.read_entry("file-1") is None


def test_suspend_stops_writes():
    storage = MemoryStorage()
    files = [make_file(1, S.UPLOADING)]
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=FakeClock())
    mirror.note_status_change()
    mirror.suspend()

    files = [make_file(1, S.CANCELLED)]
    mirror.note_status_change()
    mirror.note_progress()

    assert mirror.writes == 1
    assert stored(storage)["files"][0]["status"] == "interrupted"
    mirror.resume()
    mirror.note_status_change()
    assert stored(storage)["files"] == []


# --- restoring ------------------------------------------------------------


def test_to_item_keeps_key_and_options():
    entry = make_file(3, S.INTERRUPTED, progress=0.5, attempts=2)
    source = object()

    item = entry.to_item(source)

    assert item.id == "file-3"
    assert item.idempotency_key == "key-3"
    assert item.options == entry.options
    assert item.file.source is source
    assert item.file.last_modified == entry.last_modified
    assert item.loaded == 1500
    assert item.attempts == 2
    assert item.budget_start == 2
    assert item.needs_file is False


def test_to_item_without_file_needs_file():
    item = make_file(1, S.INTERRUPTED).to_item()

    assert item.needs_file is True
    assert item.file.source is None


@pytest.mark.parametrize(
    ("plan", "text"),
    [
        (RestorePlan(), None),
        (RestorePlan(resuming=3), "3 uploads restored, resuming."),
        (RestorePlan(resuming=1), "1 upload restored, resuming."),
        (
            RestorePlan(need_file=1),
            "1 upload restored. 1 needs its file selected again.",
        ),
        (
            RestorePlan(resuming=2, need_file=2),
            "4 uploads restored, 2 resuming. 2 need their files selected again.",
        ),
        (
            RestorePlan(elsewhere=3),
            "3 uploads restored. 3 are uploading in another tab.",
        ),
        (
            RestorePlan(resuming=1, failed=1),
            "2 uploads restored, 1 resuming. 1 failed before and can be retried.",
        ),
    ],
)
def test_restore_plan_message(plan, text):
    assert plan.message() == text


def test_write_reencodes_changed_entries():
    clock = FakeClock()
    storage = MemoryStorage()
    files = [make_file(1), make_file(2), make_file(3)]
    mirror = QueueMirror(storage, OWNER, lambda: files, now_ms=clock)
    mirror.note_status_change()

    clock.now += 10
    files = [make_file(1), make_file(2, status=S.FAILED, error="Failed."), make_file(4)]
    mirror.note_status_change()

    text = storage.get_item(KEY)
    expected = {
        "version": stored(storage)["version"],
        "savedAt": int(clock.now),
        "owner": OWNER,
        "files": [entry.to_json() for entry in files],
    }
    assert text == json.dumps(expected, separators=(",", ":"), ensure_ascii=False)


# --- snapshot of the queue ------------------------------------------------


def make_item(index: int) -> UploadItem:
    return make_file(index, progress=0.0, attempts=0).to_item(source=object())


def test_snapshot_reuses_entries_of_unchanged_items():
    items = [make_item(1), make_item(2)]
    snapshot = QueueSnapshot()
    first = snapshot.take(items)
    second = snapshot.take(items)
    assert second == first
    assert all(new is old for new, old in zip(second, first))


@pytest.mark.parametrize(
    "change",
    [
        {"status": S.UPLOADING},
        {"loaded": 500},
        {"total": 4000},
        {"error": "The server answered HTTP 500."},
        {"attempts": 2},
        {"idempotency_key": "key-new"},
        {"options": UploadOptions(mode="simple", synonym=10, language="en", freeze=())},
        {"file": FileInfo("other.docx", 1000, "", 1, source=None)},
    ],
    ids=lambda change: next(iter(change)),
)
def test_snapshot_rebuilds_the_entry_of_a_changed_item(change):
    items = [make_item(1), make_item(2)]
    snapshot = QueueSnapshot()
    first = snapshot.take(items)
    for name, value in change.items():
        setattr(items[1], name, value)
    second = snapshot.take(items)
    assert second[0] is first[0]
    assert second[1] is not first[1]
    assert second[1] == PersistedFile.from_item(items[1])


def test_snapshot_order_and_removed_items():
    first, second, third = make_item(1), make_item(2), make_item(3)
    snapshot = QueueSnapshot()
    snapshot.take([first, second, third])
    entries = snapshot.take([third, first])
    assert [entry.id for entry in entries] == ["file-3", "file-1"]
    second.attempts = 5
    # An item that comes back is built from its current fields.
    assert snapshot.take([second])[0].attempts == 5


def test_mirror_with_snapshot_writes_current_fields():
    clock = FakeClock()
    storage = MemoryStorage()
    items = [make_item(1), make_item(2)]
    snapshot = QueueSnapshot()
    mirror = QueueMirror(storage, OWNER, lambda: snapshot.take(items), now_ms=clock)
    mirror.note_status_change()
    items[0].status = S.FAILED
    items[0].error = "Rejected."
    clock.now += 10
    mirror.note_status_change()
    files = stored(storage)["files"]
    assert [(f["id"], f["status"], f["error"]) for f in files] == [
        ("file-1", "failed", "Rejected."),
        ("file-2", "queued", None),
    ]
