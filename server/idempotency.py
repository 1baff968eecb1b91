"""Idempotency keys: validation and one lock per (user, key).

A request that repeats a key waits on the lock until the first request with
that key has finished, then finds its stored result. So one key is never
processed twice at the same time. Results themselves live in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

__all__ = ["KeyLocks", "parse_idempotency_key"]

MAX_KEY_LENGTH = 200


def parse_idempotency_key(value: str | None) -> str | None:
    """Return the key from an Idempotency-Key header, or None if absent.

    Raise `ValueError` with a message for the client when the key is empty,
    longer than 200 characters, or has characters outside visible ASCII.
    """
    if value is None:
        return None
    visible = all("!" <= char <= "~" for char in value)
    if not value or len(value) > MAX_KEY_LENGTH or not visible:
        raise ValueError(
            "The Idempotency-Key header is invalid: use 1 to"
            f" {MAX_KEY_LENGTH} visible ASCII characters, without spaces."
        )
    return value


class KeyLocks:
    """Locks for the (user id, key) pairs of requests now running."""

    def __init__(self) -> None:
        # Each entry is the lock and how many requests hold or await it.
        self._entries: dict[tuple[int, str], tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, user_id: int, key: str) -> AsyncIterator[None]:
        """Wait until no other request with this user and key is running."""
        pair = (user_id, key)
        lock, users = self._entries.get(pair, (asyncio.Lock(), 0))
        self._entries[pair] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._entries[pair]
            if users == 1:
                del self._entries[pair]
            else:
                self._entries[pair] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._entries)
