"""When to retry a failed upload, and after how long.

An upload request can fail because the network dropped, the upload stalled, the
server responded with an error status, or the access token expired. This module
sorts each failure into a class by its type and HTTP status (never by its
message) and computes, from the policy and the attempts made so far, whether to
try again and how long to wait first. It does no waiting: the caller schedules
the next attempt after `RetryDecision.delay` seconds::

    policy = RetryPolicy()
    now = time.time()
    decision = policy.decide(error, attempts, random=random.random, now=now)
    if decision.retry:
        schedule(next_attempt, decision.delay)
    else:
        show(policy.describe_failure(error, attempts, decision, now=now))

Retrying a request whose response was lost (`ProcessingTimeoutError`, a dropped
connection) is safe only because every upload carries an `Idempotency-Key`, so
the server returns the stored result instead of processing the file again.

Everything here is pure, because time and randomness come in as arguments.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from app.errors import (
    AuthError,
    ConfigError,
    HttpError,
    TransferError,
    UploadCancelled,
    UploaderError,
    UploadPaused,
)

__all__ = [
    "RETRYABLE_STATUSES",
    "ErrorClass",
    "Jitter",
    "RetryDecision",
    "RetryPolicy",
    "RetryReason",
    "classify",
    "parse_retry_after",
]

# HTTP statuses after which the same request may succeed when sent again.
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

# HTTP caches read a delta-seconds value too large to represent as 2**31
# seconds (RFC 7234), and this parser does the same.
_MAX_DELTA_SECONDS = 2**31

# Upper bounds of the policy fields, so a typo cannot make the uploader wait
# for days or retry forever. They match the ranges `AppConfig` accepts.
_MAX_RETRIES_LIMIT = 20
_MAX_MULTIPLIER = 10.0
_MAX_DELAY_LIMIT = 3600.0
_MAX_RETRY_AFTER_LIMIT = 24 * 3600.0

_DELTA_SECONDS = re.compile(r"[0-9]+")

_DURATION_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


class Jitter(enum.Enum):
    """Randomisation of the computed backoff, so that clients do not retry in step."""

    # A delay drawn uniformly from 0 to the exponential bound.
    FULL = "full"
    # The exponential bound plus 0 to 30 % of it.
    PROPORTIONAL = "proportional"
    # Exactly the exponential bound.
    NONE = "none"


class ErrorClass(enum.Enum):
    """Kind of handling that a failure calls for."""

    # A transient failure: the same request may succeed later.
    RETRY = "retry"
    # The access token was rejected. The token logic refreshes it or requests a
    # new sign-in, so this policy does not retry it.
    AUTH = "auth"
    # Sending the same request again cannot succeed, or the user stopped it.
    FATAL = "fatal"
    # The browser went offline. Not a failure, and it uses no attempt.
    PAUSE = "pause"


class RetryReason(enum.Enum):
    """Reason for the outcome of `RetryPolicy.decide`."""

    BACKOFF = "backoff"
    RETRY_AFTER = "retry-after"
    BUDGET_EXHAUSTED = "budget-exhausted"
    NOT_RETRYABLE = "not-retryable"
    RETRY_AFTER_TOO_LONG = "retry-after-too-long"
    AUTH_REQUIRED = "auth-required"
    PAUSED = "paused"


@dataclass(frozen=True)
class RetryDecision:
    """The outcome of `RetryPolicy.decide`.

    `delay` is in seconds and is 0 when `retry` is false. `requested_delay` is
    the server's `Retry-After` in seconds, set only for `RETRY_AFTER_TOO_LONG`.
    """

    retry: bool
    delay: float
    reason: RetryReason
    requested_delay: float | None = None


def classify(error: BaseException) -> ErrorClass:
    """Sort a failure by its type and HTTP status."""
    if isinstance(error, UploadPaused):
        return ErrorClass.PAUSE
    if isinstance(error, UploadCancelled):
        return ErrorClass.FATAL
    if isinstance(error, AuthError):
        return ErrorClass.AUTH
    if isinstance(error, HttpError):
        if error.status == 401:
            return ErrorClass.AUTH
        if error.status in RETRYABLE_STATUSES:
            return ErrorClass.RETRY
        return ErrorClass.FATAL
    if isinstance(error, TransferError):
        return ErrorClass.RETRY
    return ErrorClass.FATAL


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Parse a `Retry-After` header into seconds from `now`, a Unix timestamp.

    The header is either delta-seconds (digits only) or an HTTP-date in the
    IMF-fixdate, RFC 850 or asctime form. A date without a zone is read as UTC,
    and a date in the past gives 0. Returns None when the header is missing or
    invalid, so the caller uses its computed backoff. Signs and decimals such
    as "1.5" are invalid, because RFC 9110 defines delta-seconds as digits only.
    Dates go through `email.utils.parsedate_to_datetime`, which also accepts
    some forms that RFC 9110 does not, such as a date without the weekday.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None

    if _DELTA_SECONDS.fullmatch(text):
        if len(text) > len(str(_MAX_DELTA_SECONDS)):
            return float(_MAX_DELTA_SECONDS)
        return float(min(int(text), _MAX_DELTA_SECONDS))

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, a retry budget and a `Retry-After` cap.

    Delays are in seconds. `max_retries` counts retries, so the default makes
    four attempts in all. `max_retry_after` is the longest `Retry-After` the
    uploader waits for, and a server that requests more gets no retry.
    """

    max_retries: int = 3
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 10.0
    jitter: Jitter = Jitter.FULL
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        _check_int("max_retries", self.max_retries, 0, _MAX_RETRIES_LIMIT)
        _check_number("initial_delay", self.initial_delay, 0.0, _MAX_DELAY_LIMIT)
        _check_number("multiplier", self.multiplier, 1.0, _MAX_MULTIPLIER, unit="")
        _check_number("max_delay", self.max_delay, 0.0, _MAX_DELAY_LIMIT)
        _check_number(
            "max_retry_after", self.max_retry_after, 0.0, _MAX_RETRY_AFTER_LIMIT
        )
        if not isinstance(self.jitter, Jitter):
            allowed = ", ".join(member.name for member in Jitter)
            raise ConfigError(
                f"RetryPolicy.jitter must be one of {allowed}, got {self.jitter!r}."
            )

    @property
    def max_attempts(self) -> int:
        """The number of attempts in all: the first one plus `max_retries`."""
        return self.max_retries + 1

    def backoff_bound(self, retry_number: int) -> float:
        """Return the delay before jitter for a retry, counting retries from 1.

        Retry 1 is the wait before attempt 2.
        """
        if retry_number < 1:
            raise ValueError(f"retry_number must be 1 or more, got {retry_number}.")
        try:
            bound = self.initial_delay * self.multiplier ** (retry_number - 1)
        except OverflowError:
            return self.max_delay
        return min(self.max_delay, bound)

    def decide(
        self,
        error: BaseException,
        attempts_made: int,
        *,
        random: Callable[[], float],
        now: float,
    ) -> RetryDecision:
        """Decide whether to retry after `error` and how long to wait first.

        `attempts_made` counts the attempts already made, including the one
        that failed. `random` returns a float in [0, 1) and is used only for
        jitter. `now` is a Unix timestamp for a `Retry-After` date. A valid
        `Retry-After` on a retryable status replaces the computed backoff and
        gets no jitter.
        """
        if attempts_made < 1:
            raise ValueError(f"attempts_made must be 1 or more, got {attempts_made}.")

        error_class = classify(error)
        if error_class is ErrorClass.PAUSE:
            return RetryDecision(False, 0.0, RetryReason.PAUSED)
        if error_class is ErrorClass.AUTH:
            return RetryDecision(False, 0.0, RetryReason.AUTH_REQUIRED)
        if error_class is ErrorClass.FATAL:
            return RetryDecision(False, 0.0, RetryReason.NOT_RETRYABLE)
        if attempts_made >= self.max_attempts:
            return RetryDecision(False, 0.0, RetryReason.BUDGET_EXHAUSTED)

        requested = None
        if isinstance(error, HttpError):
            requested = parse_retry_after(error.retry_after, now)
        if requested is not None:
            if requested > self.max_retry_after:
                return RetryDecision(
                    False,
                    0.0,
                    RetryReason.RETRY_AFTER_TOO_LONG,
                    requested_delay=requested,
                )
            return RetryDecision(True, requested, RetryReason.RETRY_AFTER)

        bound = self.backoff_bound(attempts_made)
        delay = self._apply_jitter(bound, random)
        return RetryDecision(True, delay, RetryReason.BACKOFF)

    def describe_retry(self, decision: RetryDecision, attempts_made: int) -> str:
        """Return the sentence shown while the uploader waits to retry."""
        attempt = f"attempt {attempts_made + 1} of {self.max_attempts}"
        if decision.delay <= 0:
            return f"Retrying now ({attempt})."
        wait = _duration_in_words(decision.delay)
        if decision.reason is RetryReason.RETRY_AFTER:
            return f"Retrying in {wait}, as the server requested ({attempt})."
        return f"Retrying in {wait} ({attempt})."

    def describe_failure(
        self,
        error: BaseException,
        attempts_made: int,
        decision: RetryDecision,
        *,
        now: float,
    ) -> str:
        """Return the sentence shown when an upload stops for good.

        `now` is the Unix timestamp of the decision. The message uses it to
        state the clock time that the server's `Retry-After` points to.
        """
        if decision.retry:
            raise ValueError("describe_failure needs a decision that stops retrying.")

        cause = _describe_error(error)
        if decision.reason is RetryReason.RETRY_AFTER_TOO_LONG:
            requested = decision.requested_delay or 0.0
            wait = _duration_in_words(requested)
            at = _format_clock_time(now, now + requested)
            return (
                f"{cause} The server asked to retry in {wait} (at {at}), later "
                f"than the {self.max_retry_after:g}-second limit. Retry later."
            )
        if attempts_made >= 1:
            noun = "attempt" if attempts_made == 1 else "attempts"
            return f"{cause} Failed after {attempts_made} {noun}."
        return cause

    def _apply_jitter(self, bound: float, random: Callable[[], float]) -> float:
        if self.jitter is Jitter.FULL:
            return bound * random()
        if self.jitter is Jitter.PROPORTIONAL:
            return bound + bound * 0.3 * random()
        return bound


def _describe_error(error: BaseException) -> str:
    if isinstance(error, UploaderError):
        return error.message
    return f"The upload failed with an unexpected error ({type(error).__name__})."


def _duration_in_words(seconds: float) -> str:
    """Format a finite duration in words, rounded up to whole seconds.

    Shows at most the two largest non-zero units: "15 minutes",
    "1 hour and 5 minutes", "45 seconds".
    """
    remaining = max(0, math.ceil(seconds))
    if remaining == 0:
        return "0 seconds"

    parts = []
    for name, size in _DURATION_UNITS:
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}" if count == 1 else f"{count} {name}s")
    return " and ".join(parts[:2])


def _format_clock_time(now: float, moment: float) -> str:
    """Format `moment` as UTC hours and minutes, rounded up to the minute.

    The date is added when `moment` falls on another UTC day than `now`.
    """
    rounded = math.ceil(moment / 60) * 60
    when = datetime.fromtimestamp(rounded, tz=timezone.utc)
    today = datetime.fromtimestamp(now, tz=timezone.utc).date()
    if when.date() == today:
        return when.strftime("%H:%M UTC")
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _check_int(name: str, value: object, low: int, high: int) -> None:
    valid = isinstance(value, int) and not isinstance(value, bool)
    if not valid or not low <= value <= high:
        raise ConfigError(
            f"RetryPolicy.{name} must be an integer from {low} to {high}, "
            f"got {value!r}."
        )


def _check_number(
    name: str, value: object, low: float, high: float, *, unit: str = " seconds"
) -> None:
    valid = (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and low <= value <= high
    )
    if not valid:
        raise ConfigError(
            f"RetryPolicy.{name} must be a number from {low:g} to {high:g}{unit}, "
            f"got {value!r}."
        )
