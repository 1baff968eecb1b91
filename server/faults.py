"""Fault rules: scripted failures the test controls inject into requests.

A rule such as ``{"path": "/p-v2/api/files/file-paraphrase", "times": 1,
"action": "drop", "afterBytes": 65536}`` applies to the next `times` requests
whose path starts with `path`. `parse_rules` validates the JSON form and
`FaultRules.take` hands each request the first rule that still applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

__all__ = ["FaultAction", "FaultRule", "FaultRuleError", "FaultRules", "parse_rules"]

# The maximum delay or stall of a rule, in seconds.
MAX_FAULT_SECONDS = 600


class FaultAction(StrEnum):
    # Read the body, then respond with `status` and a JSON error.
    STATUS = "status"
    # Abort the connection once `after_bytes` body bytes have been read.
    DROP = "drop"
    # Stop reading the body for `seconds` once `after_bytes` have been read.
    STALL = "stall"
    # Wait `seconds`, then handle the request normally.
    DELAY = "delay"
    # Read the body, then respond with 401 AUTH_EXPIRED.
    EXPIRE_TOKEN = "expire_token"
    # Handle the request normally, then abort the connection without a response.
    DROP_RESPONSE = "drop_response"


# Fields each action accepts besides path, times and action.
_ACTION_FIELDS = {
    FaultAction.STATUS: {"status", "retryAfter"},
    FaultAction.DROP: {"afterBytes"},
    FaultAction.STALL: {"seconds", "afterBytes"},
    FaultAction.DELAY: {"seconds"},
    FaultAction.EXPIRE_TOKEN: set(),
    FaultAction.DROP_RESPONSE: set(),
}


class FaultRuleError(ValueError):
    """A fault rule in a request to the test controls is invalid."""


@dataclass(frozen=True)
class FaultRule:
    path: str
    action: FaultAction
    times: int = 1
    status: int = 503
    # Seconds for the Retry-After header of a status rule.
    retry_after: int | None = None
    after_bytes: int = 0
    seconds: float = 0.0


class FaultRules:
    """Rules in the order they were added, each with its remaining count."""

    def __init__(self) -> None:
        self._entries: list[list[Any]] = []

    def add(self, rules: list[FaultRule]) -> None:
        self._entries.extend([rule, rule.times] for rule in rules)

    def take(self, path: str) -> FaultRule | None:
        """Return the first rule that matches `path` and count one use of it."""
        for entry in self._entries:
            rule, remaining = entry
            if path.startswith(rule.path):
                if remaining == 1:
                    self._entries.remove(entry)
                else:
                    entry[1] = remaining - 1
                return rule
        return None

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def parse_rules(body: object) -> list[FaultRule]:
    """Validate a ``{"rules": [...]}`` body; raise `FaultRuleError` if invalid."""
    if not isinstance(body, dict) or not isinstance(body.get("rules"), list):
        raise FaultRuleError('Send a JSON object of the form {"rules": [RULE, ...]}.')
    return [_parse_rule(item, index) for index, item in enumerate(body["rules"])]


def _parse_rule(item: object, index: int) -> FaultRule:
    where = f"Rule {index}"
    if not isinstance(item, dict):
        raise FaultRuleError(f"{where} is not a JSON object.")
    try:
        action = FaultAction(item.get("action"))
    except ValueError:
        allowed = ", ".join(action.value for action in FaultAction)
        raise FaultRuleError(
            f"{where} has an invalid action {item.get('action')!r}; use one of"
            f" {allowed}."
        ) from None

    unknown = set(item) - {"path", "times", "action"} - _ACTION_FIELDS[action]
    if unknown:
        raise FaultRuleError(
            f"{where} has fields the {action.value} action does not take:"
            f" {', '.join(sorted(unknown))}."
        )
    path = item.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        raise FaultRuleError(f"{where} needs a path that starts with '/'.")

    rule = FaultRule(
        path=path,
        action=action,
        times=_integer(item, "times", where, default=1, minimum=1),
        after_bytes=_integer(item, "afterBytes", where, default=0, minimum=0),
    )
    if action is FaultAction.STATUS:
        return _with_status(rule, item, where)
    if action in (FaultAction.STALL, FaultAction.DELAY):
        return _with_seconds(rule, item, where)
    return rule


def _with_status(rule: FaultRule, item: dict, where: str) -> FaultRule:
    status = _integer(item, "status", where, default=None, minimum=400)
    if status is None or status > 599:
        raise FaultRuleError(f"{where} needs a status from 400 to 599.")
    retry_after = _integer(item, "retryAfter", where, default=None, minimum=0)
    return replace(rule, status=status, retry_after=retry_after)


def _with_seconds(rule: FaultRule, item: dict, where: str) -> FaultRule:
    seconds = item.get("seconds")
    valid = isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
    if not valid or not 0 <= seconds <= MAX_FAULT_SECONDS:
        raise FaultRuleError(
            f"{where} needs seconds as a number from 0 to {MAX_FAULT_SECONDS}."
        )
    return replace(rule, seconds=float(seconds))


def _integer(
    item: dict, name: str, where: str, *, default: int | None, minimum: int
) -> int | None:
    if name not in item:
        return default
    value = item[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise FaultRuleError(f"{where} needs {name} as an integer >= {minimum}.")
    return value
