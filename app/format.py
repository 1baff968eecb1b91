"""Human-readable sizes, speeds and durations, and a transfer speed meter."""

from __future__ import annotations

import math
from collections import deque

__all__ = ["SpeedMeter", "format_duration", "format_size", "format_speed"]

_UNITS = ("bytes", "KB", "MB", "GB", "TB")


def format_size(size: float) -> str:
    """Format a byte count with binary multiples, such as "1.5 MB"."""
    if size < 1024:
        return f"{int(size)} bytes" if size != 1 else "1 byte"
    exponent = min(int(math.log(size, 1024)), len(_UNITS) - 1)
    value = size / 1024**exponent
    return f"{value:.1f} {_UNITS[exponent]}" if value < 100 else (
        f"{value:.0f} {_UNITS[exponent]}"
    )


def format_speed(bytes_per_second: float) -> str:
    return f"{format_size(bytes_per_second)}/s"


def format_duration(seconds: float) -> str:
    """Format a duration as "45 s", "3 min 20 s" or "2 h 5 min"."""
    seconds = max(0, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s" if seconds else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class SpeedMeter:
    """Average transfer speed over a sliding window of progress samples."""

    def __init__(self, window: float = 5.0) -> None:
        self.window = window
        self._samples: deque[tuple[float, int]] = deque()

    def reset(self) -> None:
        self._samples.clear()

    def add(self, now: float, loaded: int) -> None:
        self._samples.append((now, loaded))
        while len(self._samples) > 2 and now - self._samples[0][0] > self.window:
            self._samples.popleft()

    def speed(self) -> float | None:
        """Return bytes per second, or None until two samples span some time."""
        if len(self._samples) < 2:
            return None
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        if end - start <= 0:
            return None
        return max(0.0, (last - first) / (end - start))

    def time_left(self, remaining: int) -> float | None:
        speed = self.speed()
        if not speed:
            return None
        return remaining / speed
