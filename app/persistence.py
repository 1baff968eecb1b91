"""Save the upload queue in the browser's localStorage and restore it after a reload.

The page keeps one JSON record per signed-in user under `queue_key(owner)`::

    {"version": 1, "savedAt": <ms since the epoch>, "owner": "alice",
     "files": [{"id", "name", "size", "type", "lastModified", "status",
                "progress", "error", "attempts", "options", "idempotencyKey"}]}

The record never contains an access token or file bytes. The File objects
themselves are kept apart, in IndexedDB, by the browser adapter. A restored
entry keeps its `idempotencyKey`, so for a resumed upload that the server had
already processed, the server returns its stored result instead of
processing the file twice.

This module provides the record format (`PersistedFile`, `load_record`), the
restore summary (`RestorePlan`), and `QueueMirror`, which throttles writes
during a burst of progress events, merges the entries of other tabs, and falls
back to memory when the browser's storage is full or disabled. The storage
object (see `app.storage`) is injected. Nothing here imports from `js`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from app.errors import ConfigError
from app.model import FileInfo, UploadItem, UploadOptions, UploadStatus
from app.storage import (
    MemoryStorage,
    Storage,
    StorageError,
    StorageQuotaError,
    StorageUnavailableError,
)

__all__ = [
    "DEFAULT_MAX_AGE_MS",
    "RECORD_VERSION",
    "LoadResult",
    "MemoryStorage",
    "PersistedFile",
    "QueueMirror",
    "QueueSnapshot",
    "RecordError",
    "RestorePlan",
    "load_record",
    "queue_key",
]

RECORD_VERSION = 1

# A record saved more than this long ago is ignored, but one exactly this old loads.
DEFAULT_MAX_AGE_MS = 24 * 3600 * 1000

S = UploadStatus

# A request in flight when the page closed cannot go on after a reload.
_IN_FLIGHT = frozenset({S.UPLOADING, S.PROCESSING, S.RETRYING})

# Succeeded files must not be uploaded again, and cancelled ones were discarded
# by the user, so neither is saved or restored.
_NOT_SAVED = frozenset({S.SUCCEEDED, S.CANCELLED})

# Statuses whose `error` is the reason the row shows, kept in the reduced record.
_ERROR_KEPT = frozenset({S.FAILED, S.AUTH_REQUIRED})

# Saved entries that will not upload again unless the user acts: the first
# ones dropped when the storage is full.
_FINISHED = frozenset({S.FAILED})

_RECORD_KEYS = frozenset({"version", "savedAt", "owner", "files"})
_OPTION_KEYS = frozenset({"mode", "synonym", "language", "freeze"})

# Integers in a record came from JavaScript numbers, which are exact only up to
# Number.MAX_SAFE_INTEGER.
_MAX_SAFE_INTEGER = 2**53 - 1

# The longest repr of a bad value quoted in a problem message.
_MAX_QUOTED_CHARS = 60

_QUOTA_NOTICE = "Progress won't survive a reload because the browser's storage is full."
_UNAVAILABLE_NOTICE = (
    "Progress won't survive a reload because the browser's storage is disabled."
)


class RecordError(ValueError):
    """A saved record or one of its entries has the wrong shape."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PersistedFile:
    """One file of the queue as saved: what the page shows, never its bytes.

    `progress` is the share of the body sent, from 0.0 to 1.0, and
    `last_modified` the file's `lastModified` in ms since the epoch.
    """

    id: str
    name: str
    size: int
    type: str
    last_modified: int
    status: UploadStatus
    progress: float
    error: str | None
    attempts: int
    options: UploadOptions
    idempotency_key: str

    @classmethod
    def from_item(cls, item: UploadItem) -> PersistedFile:
        """Copy the saved fields of a queue item."""
        return cls(
            id=item.id,
            name=item.file.name,
            size=item.file.size,
            type=item.file.type,
            last_modified=item.file.last_modified,
            status=item.status,
            progress=item.progress,
            error=item.error,
            attempts=item.attempts,
            options=item.options,
            idempotency_key=item.idempotency_key,
        )

    def to_item(self, source: Any = None) -> UploadItem:
        """Build the queue item of a restored entry around its File object, if found."""
        item = UploadItem(
            id=self.id,
            file=FileInfo(
                name=self.name,
                size=self.size,
                type=self.type,
                last_modified=self.last_modified,
                source=source,
            ),
            options=self.options,
            idempotency_key=self.idempotency_key,
            status=self.status,
            loaded=round(self.progress * self.size),
            total=self.size,
            attempts=self.attempts,
            budget_start=self.attempts,
            error=self.error,
            retryable=self.status is S.FAILED,
            needs_file=source is None,
        )
        return item

    def to_json(self) -> dict[str, object]:
        """Return the entry as the JSON object of the saved record."""
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "type": self.type,
            "lastModified": self.last_modified,
            "status": self.status.value,
            "progress": self.progress,
            "error": self.error,
            "attempts": self.attempts,
            "options": {
                "mode": self.options.mode,
                "synonym": self.options.synonym,
                "language": self.options.language,
                "freeze": list(self.options.freeze),
            },
            "idempotencyKey": self.idempotency_key,
        }

    @classmethod
    def from_json(cls, data: object) -> PersistedFile:
        """Build an entry from its JSON object, raising `RecordError` on any flaw."""
        entry = _check_keys(data, _FILE_KEYS, "the entry")
        values = {
            attribute: check(entry[key], key)
            for key, attribute, check in _FILE_FIELDS
        }
        return cls(**values)


@dataclass(frozen=True)
class LoadResult:
    """The files restored from storage, and why a saved record was ignored.

    `problem` is None when the record loaded or there was none. Otherwise it
    is a sentence for the log and the page, and `files` is empty.
    """

    files: list[PersistedFile] = field(default_factory=list)
    problem: str | None = None


def queue_key(owner: str) -> str:
    """Return the storage key of one user's record."""
    if not isinstance(owner, str) or not owner:
        raise ConfigError(
            f"The queue owner must be a non-empty user name, got {owner!r}."
        )
    return f"uploader.queue.v{RECORD_VERSION}.{owner}"


def load_record(
    storage: Storage,
    key: str,
    *,
    now_ms: float,
    owner: str,
    max_age_ms: float = DEFAULT_MAX_AGE_MS,
) -> LoadResult:
    """Read the saved record of `owner` and return the files to restore.

    Never raises for a bad record. A record that cannot be used (not JSON,
    another version, a wrong shape, another owner, older than `max_age_ms`)
    is reported in `problem` and removed from storage, because the next save
    would overwrite it anyway. Files saved while in flight come back as
    interrupted; succeeded and cancelled files are never restored.
    """
    try:
        text = storage.get_item(key)
    except StorageUnavailableError:
        return LoadResult(
            problem="Saved upload queue could not be read because the browser's "
            "storage is disabled."
        )
    if text is None:
        return LoadResult()

    try:
        files = _parse_record(text, now_ms=now_ms, owner=owner, max_age_ms=max_age_ms)
    except RecordError as error:
        _remove_quietly(storage, key)
        return LoadResult(
            problem=f"Saved upload queue was ignored because {error.reason}."
        )

    restored = [_as_saved(entry) for entry in files]
    return LoadResult(files=[entry for entry in restored if entry is not None])


def _parse_record(
    text: str, *, now_ms: float, owner: str, max_age_ms: float
) -> list[PersistedFile]:
    try:
        data = json.loads(text)
    except ValueError:
        raise RecordError("it is not valid JSON") from None
    if not isinstance(data, dict):
        raise RecordError("it is not a JSON object")
    if "version" not in data:
        raise RecordError("it has no version")
    version = data["version"]
    if version != RECORD_VERSION or isinstance(version, bool):
        raise RecordError(
            f"its version is {_short_repr(version)} and this page reads only "
            f"version {RECORD_VERSION}"
        )

    record = _check_keys(data, _RECORD_KEYS, "the record")
    if not isinstance(record["owner"], str):
        raise RecordError(f"owner must be a string, got {_short_repr(record['owner'])}")
    if record["owner"] != owner:
        raise RecordError("it was saved by another user")
    saved_at = record["savedAt"]
    if not _is_number(saved_at):
        raise RecordError(f"savedAt must be a number, got {_short_repr(saved_at)}")
    # A savedAt in the future (the clock was set back) counts as fresh.
    if now_ms - saved_at > max_age_ms:
        hours = max_age_ms / 3_600_000
        raise RecordError(f"it was saved more than {hours:g} hours ago")
    if not isinstance(record["files"], list):
        raise RecordError("files must be a list")

    files = []
    for index, entry in enumerate(record["files"]):
        try:
            files.append(PersistedFile.from_json(entry))
        except RecordError as error:
            raise RecordError(f"files[{index}] is invalid: {error.reason}") from None
    ids = [entry.id for entry in files]
    if len(set(ids)) != len(ids):
        raise RecordError("two entries have the same id")
    return files


class QueueSnapshot:
    """Builds the entries of the queue for each write, reusing unchanged ones.

    A write happens after every status change, and a queue may hold
    thousands of files of which a handful changed since the last write. An
    item's entry is rebuilt only when one of the fields it is copied from
    differs from the last time, so `QueueMirror` also finds the same entry
    objects as in its last write and reuses their JSON text.
    """

    def __init__(self) -> None:
        self._entries: dict[str, tuple[tuple, PersistedFile]] = {}

    def take(self, items: Iterable[UploadItem]) -> list[PersistedFile]:
        """Return the entry of each item, in the order given."""
        known = self._entries
        current: dict[str, tuple[tuple, PersistedFile]] = {}
        entries = []
        for item in items:
            fields = (
                item.status,
                item.loaded,
                item.total,
                item.error,
                item.attempts,
                item.file,
                item.options,
                item.idempotency_key,
            )
            cached = known.get(item.id)
            if cached is None or cached[0] != fields:
                cached = (fields, PersistedFile.from_item(item))
            current[item.id] = cached
            entries.append(cached[1])
        self._entries = current
        return entries


class QueueMirror:
    """Writer of one user's saved record, kept in step with this tab's queue.

    `snapshot` returns the entries this tab owns, and `now_ms` is the clock in
    ms since the epoch. Progress events write at most once per
    `min_interval_ms`, unless the clock moves backwards, and mark the record
    dirty in between. Status changes write at once. The adapter calls `flush`
    from a timer, so the last change of a burst is written too, and
    `note_status_change` on `pagehide`.

    Other tabs of the same user write the same record. Each write therefore
    reads the stored record first and keeps the entries whose id never was in
    this tab's snapshot, which are the other tabs' files. An id this tab once
    owned and no longer lists was finished or removed here, so it is dropped.

    A `StorageError` never reaches the caller. On a full storage the mirror
    first drops finished (failed) entries, then retries with a reduced record
    (no progress, no error text except for failed and auth-required files).
    If that fails too, or the storage is disabled, it removes the old record,
    writes to a `MemoryStorage` from then on, sets `degraded` and `notice`,
    and calls `on_degraded` with the notice.
    """

    def __init__(
        self,
        storage: Storage,
        owner: str,
        snapshot: Callable[[], list[PersistedFile]],
        *,
        now_ms: Callable[[], float],
        min_interval_ms: float = 500.0,
        on_degraded: Callable[[str], None] | None = None,
    ) -> None:
        self.key = queue_key(owner)
        self.owner = owner
        self.storage = storage
        self.writes = 0
        self.degraded = False
        self.suspended = False
        self.notice: str | None = None
        self._snapshot = snapshot
        self._now_ms = now_ms
        self._min_interval_ms = min_interval_ms
        self._on_degraded = on_degraded
        self._dirty = False
        self._last_write_ms: float | None = None
        self._owned_ids: set[str] = set()
        # The text last written and its entries, so a write that finds its own
        # text in storage skips parsing it again.
        self._cached_text: str | None = None
        self._cached_entries: list[PersistedFile] = []
        # Each entry last written and its JSON text, by file id, so a write
        # encodes only the entries that changed since.
        self._entry_texts: dict[str, tuple[PersistedFile, str]] = {}

    @property
    def dirty(self) -> bool:
        """Whether a change is waiting for the next write."""
        return self._dirty

    def load(self, *, max_age_ms: float = DEFAULT_MAX_AGE_MS) -> LoadResult:
        """Read this user's saved record; see `load_record`."""
        return load_record(
            self.storage,
            self.key,
            now_ms=self._now_ms(),
            owner=self.owner,
            max_age_ms=max_age_ms,
        )

    def read_entry(self, entry_id: str) -> PersistedFile | None:
        """Return the stored entry with this id as restored, or None.

        A tab that takes over another tab's file reads it here, because the
        other tab may have finished or removed it in the meantime.
        """
        for entry in self._stored_entries():
            if entry.id == entry_id:
                return _as_saved(entry)
        return None

    def note_progress(self) -> None:
        """Write now if the last write is `min_interval_ms` old, else mark dirty."""
        now = self._now_ms()
        last = self._last_write_ms
        # A clock that moved backwards also allows a write.
        if last is None or now < last or now - last >= self._min_interval_ms:
            self._write(now)
        else:
            self._dirty = True

    def note_change(self) -> None:
        """Mark the record dirty without writing, for the next `flush`."""
        self._dirty = True

    def note_status_change(self) -> None:
        """Write now, whatever the throttle."""
        self._write(self._now_ms())

    def flush(self) -> None:
        """Write now if a change is waiting."""
        if self._dirty:
            self._write(self._now_ms())

    def suspend(self) -> None:
        """Stop writing, so the page can tear down its queue with the record intact.

        The page calls this after its last save on `pagehide` and on sign-out,
        because the requests aborted then would otherwise be saved as
        cancelled or failed.
        """
        self.suspended = True
        self._dirty = False

    def resume(self) -> None:
        """Write again after `suspend`, for a page restored from the back-forward cache."""
        self.suspended = False

    def clear(self) -> None:
        """Remove the saved record."""
        self._dirty = False
        _remove_quietly(self.storage, self.key)

    def _write(self, now: float) -> None:
        self._dirty = False
        if self.suspended:
            return
        self._last_write_ms = now
        snapshot = self._snapshot()
        if not snapshot and not self._owned_ids:
            # A tab that never owned a file has nothing to add, and writing
            # back what it read could undo another tab's newer write.
            return
        self._owned_ids.update(entry.id for entry in snapshot)
        entries = [_as_saved(entry) for entry in snapshot]
        own = [entry for entry in entries if entry is not None]
        listed = {entry.id for entry in own}
        others = [
            entry
            for entry in self._stored_entries()
            if entry.id not in self._owned_ids and entry.id not in listed
        ]
        files = own + others

        text = self._encode(files, now)
        for candidate in _shrinking(files):
            candidate_text = text if candidate is files else self._encode(candidate, now)
            try:
                self._set(candidate_text)
            except StorageQuotaError:
                continue
            except StorageUnavailableError:
                self._degrade(text, _UNAVAILABLE_NOTICE)
                return
            self._cached_text = candidate_text
            self._cached_entries = candidate
            return
        self._degrade(text, _QUOTA_NOTICE)

    def _stored_entries(self) -> list[PersistedFile]:
        """Return the entries of the stored record, or none if it is unusable."""
        try:
            text = self.storage.get_item(self.key)
        except StorageError:
            return []
        if text is None:
            return []
        if text == self._cached_text:
            return self._cached_entries
        try:
            entries = _parse_record(
                text, now_ms=self._now_ms(), owner=self.owner, max_age_ms=math.inf
            )
        except RecordError:
            return []
        self._cached_text = text
        self._cached_entries = entries
        return entries

    def _set(self, text: str) -> None:
        self.storage.set_item(self.key, text)
        self.writes += 1

    def _encode(self, files: list[PersistedFile], now: float) -> str:
        header = {"version": RECORD_VERSION, "savedAt": int(now), "owner": self.owner}
        known = self._entry_texts
        texts = {}
        for entry in files:
            cached = known.get(entry.id)
            # Unchanged entries are mostly the very objects of the last write,
            # so the identity test spares comparing their fields.
            if cached is not None and (cached[0] is entry or cached[0] == entry):
                texts[entry.id] = cached
            else:
                text = json.dumps(entry.to_json(), separators=(",", ":"), ensure_ascii=False)
                texts[entry.id] = (entry, text)
        self._entry_texts = texts
        # The same text as json.dumps of the whole record, built from the
        # entries' texts: the header object without its closing brace, then
        # the files array.
        head = json.dumps(header, separators=(",", ":"), ensure_ascii=False)[:-1]
        return head + ',"files":[' + ",".join(texts[entry.id][1] for entry in files) + "]}"

    def _degrade(self, text: str, notice: str) -> None:
        # The old record would restore a queue that no longer matches the page.
        _remove_quietly(self.storage, self.key)
        self.storage = MemoryStorage()
        self.degraded = True
        self.notice = notice
        self._set(text)
        if self._on_degraded is not None:
            self._on_degraded(notice)


@dataclass(frozen=True)
class RestorePlan:
    """How many restored files resume, wait for their file, or run in another tab."""

    resuming: int = 0
    need_file: int = 0
    elsewhere: int = 0
    failed: int = 0

    def message(self) -> str | None:
        """Describe the restored queue in one line, or return None if nothing came back.

        For example "3 uploads restored, resuming. 1 needs its file selected again."
        """
        total = self.resuming + self.need_file + self.elsewhere + self.failed
        if total == 0:
            return None
        parts = [f"{_plural(total, 'upload')} restored"]
        if self.resuming:
            parts[0] += ", resuming" if self.resuming == total else ""
            if self.resuming != total:
                parts.append(f"{self.resuming} resuming")
        sentences = [", ".join(parts) + "."]
        if self.need_file:
            verb = "needs its file" if self.need_file == 1 else "need their files"
            sentences.append(f"{self.need_file} {verb} selected again.")
        if self.elsewhere:
            verb = "is" if self.elsewhere == 1 else "are"
            sentences.append(f"{self.elsewhere} {verb} uploading in another tab.")
        if self.failed:
            sentences.append(f"{self.failed} failed before and can be retried.")
        return " ".join(sentences)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _as_saved(entry: PersistedFile) -> PersistedFile | None:
    """Return the entry as saved and restored, or None when it is left out."""
    if entry.status in _NOT_SAVED:
        return None
    if entry.status in _IN_FLIGHT:
        return replace(entry, status=S.INTERRUPTED)
    return entry


def _shrinking(files: list[PersistedFile]) -> Iterator[list[PersistedFile]]:
    """Yield the record's entries, then smaller lists to try on a full storage.

    The smaller lists are built only when the storage refused the larger one.
    """
    yield files
    unfinished = [entry for entry in files if entry.status not in _FINISHED]
    yield unfinished
    yield [_reduce(entry) for entry in unfinished]


def _reduce(entry: PersistedFile) -> PersistedFile:
    error = entry.error if entry.status in _ERROR_KEPT else None
    return replace(entry, progress=0.0, error=error)


def _remove_quietly(storage: Storage, key: str) -> None:
    # Removal is best effort, because a disabled storage keeps nothing to remove.
    try:
        storage.remove_item(key)
    except StorageError:
        pass


def _check_keys(data: object, expected: frozenset[str], subject: str) -> dict:
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise RecordError(f"{subject} must be a JSON object, got {kind}")
    missing = sorted(expected - data.keys())
    if missing:
        raise RecordError(f"{subject} is missing {', '.join(missing)}")
    unknown = sorted(str(key) for key in data.keys() - expected)
    if unknown:
        raise RecordError(f"{subject} has unknown fields {', '.join(unknown)}")
    return data


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        # An integer beyond the float range, such as 10**400.
        return False


def _string(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise RecordError(f"{name} must be a string, got {_short_repr(value)}")
    return value


def _non_empty_string(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecordError(
            f"{name} must be a non-empty string, got {_short_repr(value)}"
        )
    return value


def _optional_string(value: object, name: str) -> str | None:
    return None if value is None else _string(value, name)


def _integer(value: object, name: str, minimum: int = -_MAX_SAFE_INTEGER) -> int:
    # JavaScript may have written a whole number as 1.0.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    valid = isinstance(value, int) and not isinstance(value, bool)
    if not valid or not minimum <= value <= _MAX_SAFE_INTEGER:
        raise RecordError(
            f"{name} must be an integer from {minimum} to {_MAX_SAFE_INTEGER}, "
            f"got {_short_repr(value)}"
        )
    return value


def _count(value: object, name: str) -> int:
    return _integer(value, name, minimum=0)


def _status(value: object, name: str) -> UploadStatus:
    if isinstance(value, str):
        for status in UploadStatus:
            if status.value == value:
                return status
    raise RecordError(f"{name} must be a page status, got {_short_repr(value)}")


def _fraction(value: object, name: str) -> float:
    if not _is_number(value) or not 0.0 <= value <= 1.0:
        raise RecordError(
            f"{name} must be a number from 0 to 1, got {_short_repr(value)}"
        )
    return float(value)


def _options(value: object, name: str) -> UploadOptions:
    options = _check_keys(value, _OPTION_KEYS, name)
    synonym = options["synonym"]
    valid = isinstance(synonym, int) and not isinstance(synonym, bool)
    if not valid or not 0 <= synonym <= 100:
        raise RecordError(
            f"{name}.synonym must be an integer from 0 to 100, "
            f"got {_short_repr(synonym)}"
        )
    freeze = options["freeze"]
    if not isinstance(freeze, list) or not all(isinstance(x, str) for x in freeze):
        raise RecordError(
            f"{name}.freeze must be a list of strings, got {_short_repr(freeze)}"
        )
    return UploadOptions(
        mode=_non_empty_string(options["mode"], f"{name}.mode"),
        synonym=synonym,
        language=_non_empty_string(options["language"], f"{name}.language"),
        freeze=tuple(freeze),
    )


# Each entry field: its JSON key, its `PersistedFile` attribute, and the
# function that checks the JSON value and converts it.
_FILE_FIELDS = (
    ("id", "id", _non_empty_string),
    ("name", "name", _non_empty_string),
    ("size", "size", _count),
    ("type", "type", _string),
    ("lastModified", "last_modified", _integer),
    ("status", "status", _status),
    ("progress", "progress", _fraction),
    ("error", "error", _optional_string),
    ("attempts", "attempts", _count),
    ("options", "options", _options),
    ("idempotencyKey", "idempotency_key", _non_empty_string),
)
_FILE_KEYS = frozenset(key for key, _, _ in _FILE_FIELDS)


def _short_repr(value: object) -> str:
    """Return the repr of a value from a record, cut to fit in a message."""
    text = repr(value)
    if len(text) <= _MAX_QUOTED_CHARS:
        return text
    return text[: _MAX_QUOTED_CHARS - 3] + "..."
