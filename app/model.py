"""The upload queue: one item per file, its status and the legal transitions.

An `UploadItem` carries everything the page shows about one file. Its
`source` is the browser's File object, kept opaque: this module never
reads it, so file bytes never enter Python.
"""

from __future__ import annotations

import enum
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from app.format import SpeedMeter

__all__ = [
    "ACTIVE_STATUSES",
    "FileInfo",
    "IllegalTransition",
    "UploadItem",
    "UploadOptions",
    "UploadQueue",
    "UploadStatus",
]


class UploadStatus(enum.Enum):
    """Lifecycle of one file. The values are the page's `data-status` values."""

    QUEUED = "queued"  # waiting for a free upload slot
    UPLOADING = "uploading"  # the body is being sent
    PROCESSING = "processing"  # the body is sent; waiting for the server's answer
    RETRYING = "retrying"  # an attempt failed; waiting before the next one
    PAUSED = "paused"  # stopped because the browser is offline; resumes by itself
    INTERRUPTED = "interrupted"  # was in flight when the page closed or reloaded
    SUCCEEDED = "succeeded"  # the processed file is ready to download
    FAILED = "failed"  # gave up; the row says why
    CANCELLED = "cancelled"  # the user cancelled it
    AUTH_REQUIRED = "auth-required"  # waits for the user to sign in again

    # Members compare by identity, so the identity hash is consistent with
    # equality. Enum's own hash runs in Python, and statuses are hashed in
    # every set and dict lookup of the queue.
    __hash__ = object.__hash__


S = UploadStatus

# Statuses in which a request is in flight or about to be sent again.
ACTIVE_STATUSES = frozenset({S.UPLOADING, S.PROCESSING, S.RETRYING})

# Statuses that wait for a slot, a connection or a sign-in and then go on.
PENDING_STATUSES = frozenset({S.QUEUED, S.PAUSED, S.INTERRUPTED, S.AUTH_REQUIRED})

# Statuses after which the same file may be added again.
_FINISHED = frozenset({S.SUCCEEDED, S.CANCELLED, S.FAILED})

# Ended statuses from which a retryable item restored without its File
# object takes it back, as its row's "Select file again" does.
_ENDED = frozenset({S.FAILED, S.CANCELLED})

_TRANSITIONS: dict[UploadStatus, frozenset[UploadStatus]] = {
    S.QUEUED: frozenset({S.UPLOADING, S.PAUSED, S.CANCELLED, S.FAILED, S.AUTH_REQUIRED}),
    S.UPLOADING: frozenset(
        {S.PROCESSING, S.RETRYING, S.FAILED, S.CANCELLED, S.PAUSED, S.AUTH_REQUIRED}
    ),
    # PROCESSING goes back to UPLOADING when a 401 arrives after the body was
    # sent and the request is replayed with a refreshed token.
    S.PROCESSING: frozenset(
        {
            S.UPLOADING,
            S.SUCCEEDED,
            S.RETRYING,
            S.FAILED,
            S.CANCELLED,
            S.PAUSED,
            S.AUTH_REQUIRED,
        }
    ),
    S.RETRYING: frozenset(
        {S.UPLOADING, S.FAILED, S.CANCELLED, S.PAUSED, S.AUTH_REQUIRED}
    ),
    S.PAUSED: frozenset({S.QUEUED, S.CANCELLED, S.AUTH_REQUIRED}),
    S.INTERRUPTED: frozenset({S.QUEUED, S.CANCELLED}),
    S.SUCCEEDED: frozenset(),
    S.FAILED: frozenset({S.QUEUED}),
    S.CANCELLED: frozenset({S.QUEUED}),
    S.AUTH_REQUIRED: frozenset({S.QUEUED, S.CANCELLED}),
}


class IllegalTransition(RuntimeError):
    """A status change that the lifecycle does not allow."""


@dataclass(frozen=True)
class UploadOptions:
    """Processing options sent with one file, fixed when the file is added."""

    mode: str = "standard"
    synonym: int = 50
    language: str = "en"
    freeze: tuple[str, ...] = ()

    @classmethod
    def from_inputs(
        cls, mode: str, synonym: str, language: str, freeze_text: str
    ) -> UploadOptions:
        """Build options from the page's inputs.

        Freeze words come one per line or separated by commas; blanks and
        repeats (ignoring case) are dropped.
        """
        try:
            level = int(synonym)
        except ValueError:
            level = 50
        phrases: list[str] = []
        seen: set[str] = set()
        for line in freeze_text.replace(",", "\n").splitlines():
            phrase = " ".join(line.split())
            if phrase and phrase.lower() not in seen:
                seen.add(phrase.lower())
                phrases.append(phrase)
        return cls(
            mode=mode or "standard",
            synonym=max(0, min(100, level)),
            language=language or "en",
            freeze=tuple(phrases),
        )

    def form_fields(self) -> list[tuple[str, str]]:
        """Return the multipart fields, one `freeze` field per frozen phrase."""
        fields = [
            ("mode", self.mode),
            ("synonym", str(self.synonym)),
            ("language", self.language),
        ]
        fields.extend(("freeze", phrase) for phrase in self.freeze)
        return fields

    def summary(self) -> str:
        """Describe the options in a few words for the file's row."""
        text = f"{self.mode.capitalize()}, synonyms {self.synonym} %, {self.language}"
        if self.freeze:
            count = len(self.freeze)
            text += f", {count} frozen phrase" + ("" if count == 1 else "s")
        return text


@dataclass(frozen=True)
class FileInfo:
    """What the page knows about a chosen file, and the File object itself."""

    name: str
    size: int
    type: str
    last_modified: int
    source: Any = field(default=None, compare=False, repr=False)

    @property
    def extension(self) -> str:
        """The lower-case extension with its dot; "" when the name has none.

        Surrounding spaces do not count, so "   .txt" has no extension, as on
        the server.
        """
        name = self.name.strip()
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""

    @property
    def identity(self) -> tuple[str, int, int]:
        """Name, size and modification time: all a page can tell files apart by."""
        return (self.name, self.size, self.last_modified)

    def same_file(self, other: FileInfo) -> bool:
        """Tell whether both describe the same file on disk, as far as a page can."""
        return self.identity == other.identity


@dataclass(eq=False)
class UploadItem:
    """One file in the queue and everything the page shows about it."""

    id: str
    file: FileInfo
    options: UploadOptions
    idempotency_key: str
    status: UploadStatus = S.QUEUED
    loaded: int = 0
    total: int = 0
    attempts: int = 0
    # Attempts made before the current run of automatic retries; a manual
    # retry starts a fresh run.
    budget_start: int = 0
    error: str | None = None
    retryable: bool = False
    next_retry_at: float | None = None
    result: Any = None  # the processed file, as the transport returned it
    result_name: str | None = None
    history_id: str | None = None
    # Restored after a reload without its File object: it waits for the user
    # to select the same file again.
    needs_file: bool = False
    meter: SpeedMeter = field(default_factory=SpeedMeter, repr=False)

    @property
    def progress(self) -> float:
        """Share of the body sent, from 0.0 to 1.0."""
        total = self.total or self.file.size
        if total <= 0:
            return 1.0 if self.status in (S.PROCESSING, S.SUCCEEDED) else 0.0
        return min(1.0, self.loaded / total)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def can_move_to(self, status: UploadStatus) -> bool:
        return status in _TRANSITIONS[self.status]

    def move_to(self, status: UploadStatus) -> None:
        """Change the status, raising `IllegalTransition` if the lifecycle forbids it."""
        if not self.can_move_to(status):
            raise IllegalTransition(
                f"File {self.id} cannot go from {self.status.value} "
                f"to {status.value}."
            )
        self.status = status


class UploadQueue:
    """The files in the order they were added, with lookups by id."""

    def __init__(self) -> None:
        self._items: dict[str, UploadItem] = {}

    def __iter__(self) -> Iterator[UploadItem]:
        return iter(list(self._items.values()))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def add(self, item: UploadItem) -> None:
        if item.id in self._items:
            raise ValueError(f"File id {item.id} is already in the queue.")
        self._items[item.id] = item

    def get(self, item_id: str) -> UploadItem | None:
        return self._items.get(item_id)

    def remove(self, item_id: str) -> UploadItem | None:
        return self._items.pop(item_id, None)

    def with_status(self, *statuses: UploadStatus) -> list[UploadItem]:
        wanted = set(statuses)
        return [item for item in self._items.values() if item.status in wanted]

    def first_queued(self, count: int, skip: Container[str] = ()) -> list[UploadItem]:
        """Return up to `count` queued items in queue order, leaving out the ids in `skip`."""
        found: list[UploadItem] = []
        if count <= 0:
            return found
        for item in self._items.values():
            if item.status is S.QUEUED and item.id not in skip:
                found.append(item)
                if len(found) == count:
                    break
        return found

    def active(self) -> list[UploadItem]:
        return [item for item in self._items.values() if item.is_active]

    def has_active_uploads(self) -> bool:
        return any(item.is_active for item in self._items.values())

    def has_unfinished_work(self) -> bool:
        """Tell whether leaving the page now would stop an upload."""
        return any(
            item.is_active or item.status is S.QUEUED for item in self._items.values()
        )

    def find_same_file(self, info: FileInfo) -> UploadItem | None:
        """Return an unfinished item for the same file, if one is queued."""
        for item in self._items.values():
            if item.status in _FINISHED:
                continue
            if item.file.same_file(info):
                return item
        return None

    def unfinished_identities(self) -> set[tuple[str, int, int]]:
        """Return the `FileInfo.identity` of every unfinished item."""
        return {
            item.file.identity
            for item in self._items.values()
            if item.status not in _FINISHED
        }

    def waiting_for_file(self) -> dict[tuple[str, int, int], UploadItem]:
        """Return the items restored without their File object, by `FileInfo.identity`."""
        return {
            item.file.identity: item
            for item in self._items.values()
            if item.needs_file
            and (item.status is S.INTERRUPTED or (item.status in _ENDED and item.retryable))
        }

    def counts(self) -> dict[UploadStatus, int]:
        counts = {status: 0 for status in UploadStatus}
        for item in self._items.values():
            counts[item.status] += 1
        return counts

    def extend(self, items: Iterable[UploadItem]) -> None:
        for item in items:
            self.add(item)
