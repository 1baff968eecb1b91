"""Rate limit on failed sign-ins, per client address and per user name.

Each key keeps the times of its failed attempts within a sliding window. Once
a key has its maximum of failures in the window, sign-in is rejected with 429
until the oldest of them leaves the window. A successful sign-in clears the
user name's failures but not the address's.
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["LoginLimiter"]

WINDOW_SECONDS = 60.0
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
# Keys tracked at once; when more arrive, the least recently failed key is
# dropped, so memory stays bounded under a flood of made-up user names.
MAX_KEYS = 10_000


class LoginLimiter:
    """Failed sign-in attempts by key, with the wait before the next attempt."""

    def __init__(
        self,
        *,
        window: float = WINDOW_SECONDS,
        max_per_user: int = MAX_FAILURES_PER_USER,
        max_per_address: int = MAX_FAILURES_PER_ADDRESS,
    ) -> None:
        self.window = window
        self.max_per_user = max_per_user
        self.max_per_address = max_per_address
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str, username: str, now: float) -> int | None:
        """Return whole seconds to wait before another attempt, or None."""
        waits = []
        for key, limit in self._limits(address, username):
            times = self._recent(key, now)
            if len(times) >= limit:
                waits.append(times[len(times) - limit] + self.window - now)
        if not waits:
            return None
        return max(1, math.ceil(max(waits)))

    def record_failure(self, address: str, username: str, now: float) -> None:
        for key, _ in self._limits(address, username):
            times = self._recent(key, now)
            times.append(now)
            # Re-inserting moves the key to the end, so the dict stays ordered
            # by last failure.
            self._failures.pop(key, None)
            self._failures[key] = times
        while len(self._failures) > MAX_KEYS:
            del self._failures[next(iter(self._failures))]

    def record_success(self, username: str) -> None:
        self._failures.pop(_user_key(username), None)

    def clear(self) -> None:
        self._failures.clear()

    def _limits(self, address: str, username: str) -> list[tuple[str, int]]:
        return [
            (_user_key(username), self.max_per_user),
            (f"address:{address}", self.max_per_address),
        ]

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times


def _user_key(username: str) -> str:
    return f"user:{username.casefold()}"
