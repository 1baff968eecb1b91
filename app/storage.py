"""Key-value storage with the shape of the browser's localStorage.

The browser adapter wraps `window.localStorage` in this interface and maps
its exceptions onto `StorageQuotaError` and `StorageUnavailableError`.
`MemoryStorage` is the fallback when the browser keeps nothing, and the
fake that unit tests inject. Nothing here imports from `js`.
"""

from __future__ import annotations

from typing import Protocol

__all__ = [
    "MemoryStorage",
    "Storage",
    "StorageError",
    "StorageQuotaError",
    "StorageUnavailableError",
]


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
