"""Tests of the retry policy: classification, backoff, Retry-After and messages."""

from __future__ import annotations

import math
from datetime import datetime, timezone

import pytest

from app.errors import (
    AuthError,
    ConfigError,
    HttpError,
    NetworkError,
    ProcessingTimeoutError,
    StallError,
    UploadCancelled,
    UploadError,
    UploadPaused,
    ValidationError,
)
from app.retry import (
    RETRYABLE_STATUSES,
    ErrorClass,
    Jitter,
    RetryDecision,
    RetryPolicy,
    RetryReason,
    classify,
    parse_retry_after,
)

# 2015-10-21 07:28:00 UTC.
NOW = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc).timestamp()


def constant(value: float):
    return lambda: value


def http(status: int, retry_after: str | None = None) -> HttpError:
    return HttpError.from_response(
        status, "", {"Retry-After": retry_after} if retry_after is not None else {}
    )


# --- classification -------------------------------------------------------

CLASSIFY_CASES = [
    (NetworkError("The connection was closed."), ErrorClass.RETRY),
    (StallError(30), ErrorClass.RETRY),
    (ProcessingTimeoutError(300), ErrorClass.RETRY),
    *[(http(status), ErrorClass.RETRY) for status in (408, 429, 500, 502, 503, 504)],
    *[(http(status), ErrorClass.FATAL) for status in (400, 403, 404, 413, 415, 422)],
    (http(501), ErrorClass.FATAL),
    (http(401), ErrorClass.AUTH),
    (AuthError(401, "Expired.", code="AUTH_EXPIRED"), ErrorClass.AUTH),
    (HttpError(401, "Not signed in."), ErrorClass.AUTH),
    (ValidationError("The file is empty."), ErrorClass.FATAL),
    (UploadCancelled(), ErrorClass.FATAL),
    (UploadPaused(), ErrorClass.PAUSE),
    (UploadError("Something else failed."), ErrorClass.FATAL),
    (RuntimeError("boom"), ErrorClass.FATAL),
]


@pytest.mark.parametrize(
    ("error", "expected"),
    CLASSIFY_CASES,
    ids=[f"{type(e).__name__}-{getattr(e, 'status', '')}" for e, _ in CLASSIFY_CASES],
)
def test_classify_table(error, expected):
    assert classify(error) is expected


def test_classify_ignores_message_text():
    error = HttpError(400, "Service temporarily unavailable, network timeout.")

    assert classify(error) is ErrorClass.FATAL


def test_retryable_statuses_exact():
    assert RETRYABLE_STATUSES == {408, 429, 500, 502, 503, 504}


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (http(503), RetryReason.BACKOFF),
        (http(404), RetryReason.NOT_RETRYABLE),
        (http(401), RetryReason.AUTH_REQUIRED),
        (UploadPaused(), RetryReason.PAUSED),
        (UploadCancelled(), RetryReason.NOT_RETRYABLE),
        (ValidationError("Too large."), RetryReason.NOT_RETRYABLE),
    ],
)
def test_decide_reason_per_class(error, reason):
    decision = RetryPolicy().decide(error, 1, random=constant(0.5), now=NOW)

    assert decision.reason is reason
    assert decision.retry is (reason is RetryReason.BACKOFF)


# --- backoff --------------------------------------------------------------


def test_backoff_bounds_per_retry():
    policy = RetryPolicy(max_retries=6)

    bounds = [policy.backoff_bound(n) for n in range(1, 7)]

    assert bounds == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_backoff_bound_rejects_zero():
    with pytest.raises(ValueError, match="retry_number"):
        RetryPolicy().backoff_bound(0)


def test_backoff_bound_huge_retry_capped():
    policy = RetryPolicy(multiplier=10.0)

    assert policy.backoff_bound(10_000) == 10.0


def test_decide_no_jitter_exact_delays():
    policy = RetryPolicy(jitter=Jitter.NONE)

    delays = [
        policy.decide(NetworkError("x"), n, random=constant(0.7), now=NOW).delay
        for n in (1, 2, 3)
    ]

    assert delays == [1.0, 2.0, 4.0]


def test_decide_max_delay_cap():
    policy = RetryPolicy(max_retries=8, jitter=Jitter.NONE, max_delay=5.0)

    delays = [
        policy.decide(NetworkError("x"), n, random=constant(0.0), now=NOW).delay
        for n in range(1, 9)
    ]

    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0, 5.0]


@pytest.mark.parametrize(
    ("draw", "attempt", "expected"),
    [
        (0.0, 1, 0.0),
        (0.5, 1, 0.5),
        (0.999, 1, 0.999),
        (0.0, 3, 0.0),
        (0.5, 3, 2.0),
        (0.999, 3, 3.996),
    ],
)
def test_decide_full_jitter(draw, attempt, expected):
    policy = RetryPolicy(jitter=Jitter.FULL)

    decision = policy.decide(http(503), attempt, random=constant(draw), now=NOW)

    assert decision.retry is True
    assert decision.reason is RetryReason.BACKOFF
    assert decision.delay == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("draw", "expected"), [(0.0, 4.0), (0.5, 4.6), (0.999, 5.1988)]
)
def test_decide_proportional_jitter(draw, expected):
    policy = RetryPolicy(jitter=Jitter.PROPORTIONAL)

    decision = policy.decide(http(502), 3, random=constant(draw), now=NOW)

    assert decision.delay == pytest.approx(expected, abs=1e-12)


def test_default_policy_values():
    policy = RetryPolicy()

    assert policy.max_attempts == 4
    assert policy.jitter is Jitter.FULL
    assert policy.max_retry_after == 60.0


def test_decide_budget_exhausted():
    decision = RetryPolicy().decide(http(503), 4, random=constant(0.5), now=NOW)

    assert decision == RetryDecision(False, 0.0, RetryReason.BUDGET_EXHAUSTED)


def test_decide_last_retry_allowed():
    decision = RetryPolicy().decide(http(503), 3, random=constant(0.5), now=NOW)

    assert decision.retry is True


def test_decide_zero_retries():
    policy = RetryPolicy(max_retries=0)

    decision = policy.decide(NetworkError("x"), 1, random=constant(0.5), now=NOW)

    assert decision.reason is RetryReason.BUDGET_EXHAUSTED


def test_decide_rejects_zero_attempts():
    with pytest.raises(ValueError, match="attempts_made"):
        RetryPolicy().decide(http(503), 0, random=constant(0.5), now=NOW)


# --- Retry-After ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        ("7", 7.0),
        ("  120 ", 120.0),
        ("007", 7.0),
        ("99999999999999999999", float(2**31)),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wednesday, 21-Oct-15 07:29:00 GMT", 60.0),
        ("Wed Oct 21 07:30:00 2015", 120.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        ("Tue, 20 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_parse_retry_after_valid(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    "value",
    [None, "", "   ", "-5", "+5", "1.5", "1e3", "soon", "5 apples", "0x10", "٣"],
)
def test_parse_retry_after_invalid(value):
    assert parse_retry_after(value, NOW) is None


def test_decide_uses_retry_after_seconds():
    decision = RetryPolicy().decide(http(429, "7"), 1, random=constant(0.0), now=NOW)

    assert decision == RetryDecision(True, 7.0, RetryReason.RETRY_AFTER)


def test_decide_retry_after_no_jitter():
    policy = RetryPolicy(jitter=Jitter.PROPORTIONAL)

    decision = policy.decide(http(503, "5"), 1, random=constant(0.999), now=NOW)

    assert decision.delay == 5.0


def test_decide_uses_retry_after_date():
    error = http(503, "Wed, 21 Oct 2015 07:28:45 GMT")

    decision = RetryPolicy().decide(error, 2, random=constant(0.5), now=NOW)

    assert decision.reason is RetryReason.RETRY_AFTER
    assert decision.delay == 45.0


def test_decide_retry_after_past_date_is_zero():
    error = http(503, "Wed, 21 Oct 2015 06:00:00 GMT")

    decision = RetryPolicy().decide(error, 1, random=constant(0.5), now=NOW)

    assert decision == RetryDecision(True, 0.0, RetryReason.RETRY_AFTER)


@pytest.mark.parametrize("value", ["-5", "1.5", "garbage", ""])
def test_decide_invalid_retry_after_uses_backoff(value):
    policy = RetryPolicy(jitter=Jitter.NONE)

    decision = policy.decide(http(503, value), 2, random=constant(0.5), now=NOW)

    assert decision == RetryDecision(True, 2.0, RetryReason.BACKOFF)


def test_decide_retry_after_at_limit_allowed():
    decision = RetryPolicy().decide(http(429, "60"), 1, random=constant(0.5), now=NOW)

    assert decision == RetryDecision(True, 60.0, RetryReason.RETRY_AFTER)


def test_decide_retry_after_too_long():
    decision = RetryPolicy().decide(http(429, "900"), 1, random=constant(0.5), now=NOW)

    assert decision.retry is False
    assert decision.reason is RetryReason.RETRY_AFTER_TOO_LONG
    assert decision.requested_delay == 900.0


def test_decide_far_future_date_too_long():
    error = http(503, "Thu, 22 Oct 2015 07:28:00 GMT")

    decision = RetryPolicy().decide(error, 1, random=constant(0.5), now=NOW)

    assert decision.reason is RetryReason.RETRY_AFTER_TOO_LONG
    assert decision.requested_delay == 86400.0


def test_decide_retry_after_ignored_on_fatal_status():
    decision = RetryPolicy().decide(http(400, "5"), 1, random=constant(0.5), now=NOW)

    assert decision.reason is RetryReason.NOT_RETRYABLE


def test_decide_budget_before_retry_after():
    decision = RetryPolicy().decide(http(429, "5"), 4, random=constant(0.5), now=NOW)

    assert decision.reason is RetryReason.BUDGET_EXHAUSTED


# --- messages -------------------------------------------------------------


def test_describe_failure_budget_exhausted():
    policy = RetryPolicy()
    error = http(503)
    decision = policy.decide(error, 4, random=constant(0.5), now=NOW)

    text = policy.describe_failure(error, 4, decision, now=NOW)

    assert text == (
        "The server is temporarily unavailable (HTTP 503). Failed after 4 attempts."
    )


def test_describe_failure_retry_after_too_long():
    policy = RetryPolicy()
    now = datetime(2024, 5, 1, 14, 17, tzinfo=timezone.utc).timestamp()
    error = http(429, "900")
    decision = policy.decide(error, 1, random=constant(0.5), now=now)

    text = policy.describe_failure(error, 1, decision, now=now)

    assert text == (
        "The server is rate limiting uploads (HTTP 429). The server asked to retry "
        "in 15 minutes (at 14:32 UTC), later than the 60-second limit. Retry later."
    )


def test_describe_failure_other_day_has_date():
    policy = RetryPolicy()
    now = datetime(2024, 5, 1, 23, 50, 10, tzinfo=timezone.utc).timestamp()
    decision = RetryDecision(
        False, 0.0, RetryReason.RETRY_AFTER_TOO_LONG, requested_delay=3900.0
    )

    text = policy.describe_failure(http(503), 1, decision, now=now)

    assert "in 1 hour and 5 minutes (at 2024-05-02 00:56 UTC)" in text


def test_describe_failure_fatal_first_attempt():
    policy = RetryPolicy()
    error = http(413)
    decision = policy.decide(error, 1, random=constant(0.5), now=NOW)

    text = policy.describe_failure(error, 1, decision, now=NOW)

    assert text == (
        "The file is larger than the server accepts (HTTP 413). "
        "Failed after 1 attempt."
    )


def test_describe_failure_fatal_after_retries():
    policy = RetryPolicy()
    error = http(400)
    decision = policy.decide(error, 3, random=constant(0.5), now=NOW)

    text = policy.describe_failure(error, 3, decision, now=NOW)

    assert text.endswith("(HTTP 400). Failed after 3 attempts.")


def test_describe_failure_single_attempt_budget():
    policy = RetryPolicy(max_retries=0)
    error = NetworkError("The connection was closed.")
    decision = policy.decide(error, 1, random=constant(0.5), now=NOW)

    text = policy.describe_failure(error, 1, decision, now=NOW)

    assert text == "The connection was closed. Failed after 1 attempt."


def test_describe_failure_unknown_error():
    decision = RetryDecision(False, 0.0, RetryReason.NOT_RETRYABLE)

    text = RetryPolicy().describe_failure(KeyError("x"), 1, decision, now=NOW)

    assert text == (
        "The upload failed with an unexpected error (KeyError). "
        "Failed after 1 attempt."
    )


def test_describe_failure_rejects_retry_decision():
    decision = RetryDecision(True, 1.0, RetryReason.BACKOFF)

    with pytest.raises(ValueError, match="stops retrying"):
        RetryPolicy().describe_failure(http(503), 1, decision, now=NOW)


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (
            RetryDecision(True, 1.5, RetryReason.BACKOFF),
            "Retrying in 2 seconds (attempt 2 of 4).",
        ),
        (
            RetryDecision(True, 60.0, RetryReason.RETRY_AFTER),
            "Retrying in 1 minute, as the server requested (attempt 2 of 4).",
        ),
        (
            RetryDecision(True, 0.0, RetryReason.RETRY_AFTER),
            "Retrying now (attempt 2 of 4).",
        ),
    ],
)
def test_describe_retry(decision, expected):
    assert RetryPolicy().describe_retry(decision, 1) == expected


# --- policy validation ----------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "field", "fragment"),
    [
        ({"max_retries": -1}, "max_retries", "from 0 to 20, got -1"),
        ({"max_retries": 21}, "max_retries", "got 21"),
        ({"max_retries": 2.0}, "max_retries", "integer"),
        ({"max_retries": True}, "max_retries", "got True"),
        ({"initial_delay": -0.5}, "initial_delay", "from 0 to 3600 seconds"),
        ({"initial_delay": math.nan}, "initial_delay", "got nan"),
        ({"multiplier": 0.5}, "multiplier", "from 1 to 10, got 0.5"),
        ({"max_delay": math.inf}, "max_delay", "got inf"),
        ({"max_delay": "10"}, "max_delay", "got '10'"),
        ({"max_retry_after": -1}, "max_retry_after", "from 0 to 86400 seconds"),
        ({"jitter": "full"}, "jitter", "one of FULL, PROPORTIONAL, NONE"),
    ],
)
def test_policy_validation(settings, field, fragment):
    with pytest.raises(ConfigError) as caught:
        RetryPolicy(**settings)

    assert f"RetryPolicy.{field} " in caught.value.message
    assert fragment in caught.value.message


def test_policy_is_frozen():
    policy = RetryPolicy()

    with pytest.raises(AttributeError):
        policy.max_retries = 5
