"""Save the upload queue in the browser's localStorage and restore it after a reload.

The page keeps one JSON record per signed-in user under `queue_key(owner)`::

    {"version": 1, "savedAt": <ms since the epoch>, "owner": "alice",
     "files": [{"id", "name", "size", "type", "lastModified", "status",
                "progress", "error", "attempts", "options", "idempotencyKey"}]}

The record never contains an access token or file bytes. A browser cannot
read a file again after a reload, so restored entries tell the user which
files to add again, and their `idempotencyKey` makes the server return the
stored result instead of processing a file twice.

This module provides the record format (`PersistedFile`, `load_record`), an
in-memory storage with an optional quota (`MemoryStorage`), and `QueueMirror`,
which throttles writes during a burst of progress events and falls back to
memory when the browser's storage is full or disabled. The storage object is
injected. It has the shape of localStorage: `get_item`, `set_item` and
`remove_item`, where `set_item` raises `StorageQuotaError` or
`StorageUnavailableError`. Nothing here imports from `js`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from app.errors import ConfigError
from app.model import UploadItem, UploadOptions, UploadStatus

__all__ = [
    "DEFAULT_MAX_AGE_MS",
    "RECORD_VERSION",
    "LoadResult",
    "MemoryStorage",
    "PersistedFile",
    "QueueMirror",
    "RecordError",
    "Storage",
    "StorageError",
    "StorageQuotaError",
    "StorageUnavailableError",
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


class StorageError(Exception):
    """Base class of the storage failures the browser adapter reports."""


class StorageQuotaError(StorageError):
    """The storage is full (the browser's QuotaExceededError)."""


class StorageUnavailableError(StorageError):
    """The storage is disabled or blocked (the browser's SecurityError)."""


class Storage(Protocol):
    """A key-value store of strings with the shape of localStorage."""

    def get_item(self, key: str) -> str | None: ...

    def set_item(self, key: str, value: str) -> None: ...

    def remove_item(self, key: str) -> None: ...


class MemoryStorage:
    """A dict-backed `Storage` that lasts as long as the page.

    With `quota_chars` set, `set_item` raises `StorageQuotaError` when the
    keys and values stored would exceed that many characters in all. Browsers
    count localStorage quota in UTF-16 code units, so this is close to their
    rule for text in the Basic Multilingual Plane.
    """

    def __init__(self, quota_chars: int | None = None) -> None:
        self.quota_chars = quota_chars
        self.items: dict[str, str] = {}

    def get_item(self, key: str) -> str | None:
        return self.items.get(key)

    def set_item(self, key: str, value: str) -> None:
        if self.quota_chars is not None:
            others = sum(
                len(name) + len(text)
                for name, text in self.items.items()
                if name != key
            )
            if others + len(key) + len(value) > self.quota_chars:
                raise StorageQuotaError(
                    f"Storing {len(value)} characters under {key!r} would exceed "
                    f"the quota of {self.quota_chars} characters."
                )
        self.items[key] = value

    def remove_item(self, key: str) -> None:
        self.items.pop(key, None)


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


class QueueMirror:
    """Writer of one user's saved record, kept in step with the queue.

    `snapshot` returns the current queue as `PersistedFile` entries, and
    `now_ms` is the clock in ms since the epoch. Progress events write at most
    once per `min_interval_ms`, unless the clock moves backwards, and mark the
    record dirty in between. Status changes write at once. The adapter calls
    `flush` on `pagehide` and from a timer, so the last change of a burst is
    written too.

    A `StorageError` never reaches the caller. On a full storage the mirror
    retries once with a reduced record (no progress, no error text except for
    failed and auth-required files). If that fails too, or the storage is
    disabled, it removes the old record, writes to a `MemoryStorage` from then
    on, sets `degraded` and `notice`, and calls `on_degraded` with the notice.
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
        self.notice: str | None = None
        self._snapshot = snapshot
        self._now_ms = now_ms
        self._min_interval_ms = min_interval_ms
        self._on_degraded = on_degraded
        self._dirty = False
        self._last_write_ms: float | None = None

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

    def note_progress(self) -> None:
        """Write now if the last write is `min_interval_ms` old, else mark dirty."""
        now = self._now_ms()
        last = self._last_write_ms
        # A clock that moved backwards also allows a write.
        if last is None or now < last or now - last >= self._min_interval_ms:
            self._write(now)
        else:
            self._dirty = True

    def note_status_change(self) -> None:
        """Write now, whatever the throttle."""
        self._write(self._now_ms())

    def flush(self) -> None:
        """Write now if a change is waiting."""
        if self._dirty:
            self._write(self._now_ms())

    def clear(self) -> None:
        """Remove the saved record, for example when the user signs out."""
        self._dirty = False
        _remove_quietly(self.storage, self.key)

    def _write(self, now: float) -> None:
        self._dirty = False
        self._last_write_ms = now
        entries = [_as_saved(entry) for entry in self._snapshot()]
        files = [entry for entry in entries if entry is not None]

        text = self._encode(files, now)
        try:
            self._set(text)
            return
        except StorageQuotaError:
            pass
        except StorageUnavailableError:
            self._degrade(text, _UNAVAILABLE_NOTICE)
            return

        reduced = self._encode([_reduce(entry) for entry in files], now)
        try:
            self._set(reduced)
        except StorageQuotaError:
            self._degrade(text, _QUOTA_NOTICE)
        except StorageUnavailableError:
            self._degrade(text, _UNAVAILABLE_NOTICE)

    def _set(self, text: str) -> None:
        self.storage.set_item(self.key, text)
        self.writes += 1

    def _encode(self, files: list[PersistedFile], now: float) -> str:
        record = {
            "version": RECORD_VERSION,
            "savedAt": int(now),
            "owner": self.owner,
            "files": [entry.to_json() for entry in files],
        }
        return json.dumps(record, separators=(",", ":"), ensure_ascii=False)

    def _degrade(self, text: str, notice: str) -> None:
        # The old record would restore a queue that no longer matches the page.
        _remove_quietly(self.storage, self.key)
        self.storage = MemoryStorage()
        self.degraded = True
        self.notice = notice
        self._set(text)
        if self._on_degraded is not None:
            self._on_degraded(notice)


def _as_saved(entry: PersistedFile) -> PersistedFile | None:
    """Return the entry as saved and restored, or None when it is left out."""
    if entry.status in _NOT_SAVED:
        return None
    if entry.status in _IN_FLIGHT:
        return replace(entry, status=S.INTERRUPTED)
    return entry


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
