"""Tests of the token manager and the 401 policy.

`ScriptedRefresh` is a fake refresh transport: each call waits for its gate,
then returns or raises the next scripted outcome, so each test decides when
a refresh finishes. No test sleeps.
"""

from __future__ import annotations

import asyncio

import pytest

from app.auth import (
    AuthAction,
    RefreshFailed,
    RefreshResult,
    SessionExpired,
    SessionState,
    SignedOut,
    TokenManager,
    decide_on_auth_error,
)
from app.errors import AuthError, NetworkError

# Real seconds after which a waiter that never finishes fails its test. Every
# passing test finishes in milliseconds, so this never waits in a good run.
HANG_LIMIT = 5.0


class ScriptedRefresh:
    def __init__(self, *outcomes: RefreshResult | Exception) -> None:
        self.outcomes = list(outcomes)
        self.calls = 0
        self.gate = asyncio.Event()

    async def __call__(self) -> RefreshResult:
        self.calls += 1
        await self.gate.wait()
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Hooks:
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.expired = 0

    def on_token(self, token: str) -> None:
        self.tokens.append(token)

    def on_session_expired(self) -> None:
        self.expired += 1


def make_manager(
    *outcomes: RefreshResult | Exception,
) -> tuple[TokenManager, ScriptedRefresh, Hooks, FakeClock]:
    transport = ScriptedRefresh(*outcomes)
    hooks = Hooks()
    clock = FakeClock()
    manager = TokenManager(
        transport,
        clock=clock,
        on_token=hooks.on_token,
        on_session_expired=hooks.on_session_expired,
    )
    return manager, transport, hooks, clock


def start_waiters(manager: TokenManager, failed_token: str, count: int) -> list:
    return [
        asyncio.ensure_future(manager.refresh_after_expiry(failed_token))
        for _ in range(count)
    ]


async def gather_within_limit(*waiters, return_exceptions: bool = False) -> list:
    """Gather the waiters, failing instead of hanging if one never finishes."""
    gathered = asyncio.gather(*waiters, return_exceptions=return_exceptions)
    return await asyncio.wait_for(gathered, HANG_LIMIT)


async def yield_to_loop(times: int = 3) -> None:
    for _ in range(times):
        await asyncio.sleep(0)


def auth_error(code: str | None) -> AuthError:
    return AuthError(401, "Token rejected.", code=code)


async def test_refresh_single_flight_for_twelve() -> None:
    manager, transport, hooks, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)

    waiters = start_waiters(manager, "T1", 12)
    await yield_to_loop()
    assert transport.calls == 1
    assert manager.refreshing is True
    transport.gate.set()
    tokens = await gather_within_limit(*waiters)

    assert tokens == ["T2"] * 12
    assert transport.calls == 1
    assert manager.token == "T2"
    assert manager.refreshing is False
    assert hooks.tokens == ["T2"]


async def test_refresh_second_wave_refreshes_once() -> None:
    manager, transport, hooks, _ = make_manager(
        RefreshResult("T2", 900), RefreshResult("T3", 900)
    )
    manager.set_token("T1", 900)
    transport.gate.set()
    await gather_within_limit(*start_waiters(manager, "T1", 12))

    tokens = await gather_within_limit(*start_waiters(manager, "T2", 12))

    assert tokens == ["T3"] * 12
    assert transport.calls == 2
    assert hooks.tokens == ["T2", "T3"]


async def test_refresh_stale_token_returns_current() -> None:
    manager, transport, _, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)
    transport.gate.set()
    await manager.refresh_after_expiry("T1")

    token = await manager.refresh_after_expiry("T1")
    action = decide_on_auth_error(auth_error("AUTH_EXPIRED"), "T1", "T2", False)

    assert token == "T2"
    assert transport.calls == 1
    assert action is AuthAction.REPLAY_WITH_CURRENT


async def test_refresh_rejected_expires_session() -> None:
    rejection = RefreshFailed(status=401, code="AUTH_INVALID")
    manager, transport, hooks, _ = make_manager(rejection)
    manager.set_token("T1", 900)

    waiters = start_waiters(manager, "T1", 5)
    await yield_to_loop()
    transport.gate.set()
    results = await gather_within_limit(*waiters, return_exceptions=True)

    for result in results:
        assert type(result) is SessionExpired
        assert result.__cause__ is rejection
    assert hooks.expired == 1
    assert transport.calls == 1
    assert manager.state is SessionState.EXPIRED
    assert manager.token is None


async def test_refresh_when_expired_sends_nothing() -> None:
    manager, transport, hooks, _ = make_manager(RefreshFailed())
    manager.set_token("T1", 900)
    transport.gate.set()
    with pytest.raises(SessionExpired):
        await manager.refresh_after_expiry("T1")

    # A late 401 from a request that was still in flight.
    with pytest.raises(SessionExpired):
        await manager.refresh_after_expiry("T1")

    assert transport.calls == 1
    assert hooks.expired == 1


async def test_refresh_network_error_keeps_session() -> None:
    failure = NetworkError("The connection failed.")
    manager, transport, hooks, _ = make_manager(failure, RefreshResult("T2", 900))
    manager.set_token("T1", 900)

    waiters = start_waiters(manager, "T1", 3)
    await yield_to_loop()
    transport.gate.set()
    results = await gather_within_limit(*waiters, return_exceptions=True)

    assert results == [failure] * 3
    assert hooks.expired == 0
    assert manager.state is SessionState.ACTIVE
    assert manager.token == "T1"
    assert await manager.refresh_after_expiry("T1") == "T2"
    assert transport.calls == 2


async def test_refresh_waiter_cancel_keeps_refresh() -> None:
    manager, transport, _, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)
    first, second = start_waiters(manager, "T1", 2)
    await yield_to_loop()

    first.cancel()
    await yield_to_loop()
    transport.gate.set()

    assert await asyncio.wait_for(second, HANG_LIMIT) == "T2"
    assert first.cancelled()
    assert transport.calls == 1


async def test_token_from_other_tab_resolves_wait() -> None:
    manager, transport, hooks, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)
    waiters = start_waiters(manager, "T1", 4)
    await yield_to_loop()

    manager.token_received_from_other_tab("T9", 900)
    tokens = await gather_within_limit(*waiters)
    transport.gate.set()
    await yield_to_loop()

    assert tokens == ["T9"] * 4
    assert manager.token == "T9"
    assert transport.calls == 1
    assert hooks.tokens == []


async def test_token_from_other_tab_skips_request() -> None:
    manager, transport, _, _ = make_manager()
    manager.set_token("T1", 900)

    manager.token_received_from_other_tab("T2", 900)
    token = await manager.refresh_after_expiry("T1")

    assert token == "T2"
    assert transport.calls == 0


async def test_token_from_other_tab_ends_expiry() -> None:
    manager, transport, _, _ = make_manager(RefreshFailed())
    manager.set_token("T1", 900)
    transport.gate.set()
    with pytest.raises(SessionExpired):
        await manager.refresh_after_expiry("T1")

    manager.token_received_from_other_tab("T2", 900)

    assert manager.state is SessionState.ACTIVE
    assert await manager.refresh_after_expiry("T1") == "T2"


async def test_clear_during_refresh_signs_out_waiters() -> None:
    manager, transport, hooks, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)
    waiters = start_waiters(manager, "T1", 3)
    await yield_to_loop()

    manager.clear()
    results = await gather_within_limit(*waiters, return_exceptions=True)
    transport.gate.set()
    await yield_to_loop()

    for result in results:
        assert isinstance(result, SignedOut)
        assert isinstance(result, SessionExpired)
    assert manager.token is None
    assert manager.state is SessionState.SIGNED_OUT
    assert hooks.expired == 0
    assert hooks.tokens == []


async def test_clear_blocks_refresh_until_sign_in() -> None:
    manager, transport, _, _ = make_manager(RefreshResult("T3", 900))
    manager.set_token("T1", 900)
    manager.clear()

    with pytest.raises(SignedOut):
        await manager.refresh_after_expiry("T1")
    manager.set_token("T2", 900)

    assert await manager.refresh_after_expiry("T1") == "T2"
    assert transport.calls == 0


async def test_refresh_restores_session_after_load() -> None:
    manager, transport, hooks, _ = make_manager(RefreshResult("T1", 900))
    assert manager.state is SessionState.UNKNOWN

    transport.gate.set()
    token = await manager.refresh()

    assert token == "T1"
    assert manager.state is SessionState.ACTIVE
    assert hooks.tokens == ["T1"]


async def test_refresh_rejects_wrong_result_type() -> None:
    async def transport() -> object:
        return {"token": "T2"}

    manager = TokenManager(transport)

    with pytest.raises(TypeError, match="must return a RefreshResult, got dict"):
        await manager.refresh()
    assert manager.refreshing is False


async def test_hook_error_does_not_hang_waiters() -> None:
    def broken_hook(token: str) -> None:
        raise RuntimeError("hook failed")

    async def transport() -> RefreshResult:
        return RefreshResult("T2", 900)

    manager = TokenManager(transport, on_token=broken_hook)
    # The hook's exception ends the refresh task, and asyncio reports it to
    # the loop's exception handler. The list keeps that report out of the log.
    loop = asyncio.get_running_loop()
    reported: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))

    token = await manager.refresh_after_expiry(None)
    await yield_to_loop()

    assert token == "T2"
    assert manager.token == "T2"


async def test_needs_refresh_margin() -> None:
    manager, _, _, clock = make_manager()
    assert manager.needs_refresh() is False

    manager.set_token("T1", 300)

    assert manager.expires_at == 1300.0
    assert manager.needs_refresh(1269.0, margin=30.0) is False
    assert manager.needs_refresh(1270.0, margin=30.0) is True
    clock.now = 1300.0
    assert manager.needs_refresh() is True


async def test_needs_refresh_false_after_clear() -> None:
    manager, _, _, _ = make_manager()
    manager.set_token("T1", 300)

    manager.clear()

    assert manager.needs_refresh(5000.0) is False
    assert manager.expires_at is None


@pytest.mark.parametrize(
    ("token", "expires_in"),
    [("", 900), (None, 900), ("T1", 0), ("T1", -1.0), ("T1", float("inf"))],
)
def test_set_token_rejects_invalid(token, expires_in) -> None:
    manager = TokenManager(ScriptedRefresh())

    with pytest.raises(ValueError):
        manager.set_token(token, expires_in)


def test_refresh_result_repr_hides_token() -> None:
    result = RefreshResult("secret-token", 900)

    assert "secret-token" not in repr(result)


@pytest.mark.parametrize(
    ("code", "token_used", "current", "replayed", "expected"),
    [
        ("AUTH_INVALID", "T1", "T1", False, AuthAction.SIGN_IN_REQUIRED),
        ("AUTH_INVALID", "T1", "T2", False, AuthAction.SIGN_IN_REQUIRED),
        ("AUTH_EXPIRED", "T1", "T1", False, AuthAction.REFRESH_AND_REPLAY),
        ("AUTH_EXPIRED", "T1", None, False, AuthAction.REFRESH_AND_REPLAY),
        ("AUTH_EXPIRED", None, None, False, AuthAction.REFRESH_AND_REPLAY),
        ("AUTH_EXPIRED", "T1", "T2", False, AuthAction.REPLAY_WITH_CURRENT),
        ("AUTH_EXPIRED", "T2", "T2", True, AuthAction.SIGN_IN_REQUIRED),
        ("AUTH_EXPIRED", "T2", "T3", True, AuthAction.SIGN_IN_REQUIRED),
        (None, "T1", "T1", False, AuthAction.REFRESH_AND_REPLAY),
        (None, "T1", "T1", True, AuthAction.SIGN_IN_REQUIRED),
    ],
)
def test_decide_on_auth_error_table(
    code, token_used, current, replayed, expected
) -> None:
    action = decide_on_auth_error(auth_error(code), token_used, current, replayed)

    assert action is expected


async def test_invalid_token_needs_no_refresh() -> None:
    manager, transport, _, _ = make_manager()
    manager.set_token("T1", 900)

    action = decide_on_auth_error(
        auth_error("AUTH_INVALID"), "T1", manager.token, already_replayed=False
    )

    assert action is AuthAction.SIGN_IN_REQUIRED
    assert transport.calls == 0


class RecordingSend:
    """A request that fails with the scripted errors, then returns "ok"."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.tokens: list[str] = []

    async def __call__(self, token: str) -> str:
        self.tokens.append(token)
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


async def test_send_with_token_refreshes_once() -> None:
    manager, transport, _, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)
    transport.gate.set()
    send = RecordingSend(auth_error("AUTH_EXPIRED"))

    result = await manager.send_with_token(send)

    assert result == "ok"
    assert send.tokens == ["T1", "T2"]
    assert transport.calls == 1


async def test_send_with_token_no_second_refresh() -> None:
    manager, transport, _, _ = make_manager(RefreshResult("T2", 900))
    manager.set_token("T1", 900)
    transport.gate.set()
    send = RecordingSend(auth_error("AUTH_EXPIRED"), auth_error("AUTH_EXPIRED"))

    with pytest.raises(AuthError):
        await manager.send_with_token(send)

    assert send.tokens == ["T1", "T2"]
    assert transport.calls == 1


async def test_send_with_token_invalid_raises() -> None:
    manager, transport, _, _ = make_manager()
    manager.set_token("T1", 900)
    send = RecordingSend(auth_error("AUTH_INVALID"))

    with pytest.raises(AuthError):
        await manager.send_with_token(send)

    assert send.tokens == ["T1"]
    assert transport.calls == 0


async def test_send_with_token_without_session() -> None:
    manager, transport, _, _ = make_manager()
    send = RecordingSend()

    with pytest.raises(SessionExpired):
        await manager.send_with_token(send)
    manager.set_token("T1", 900)
    manager.clear()
    with pytest.raises(SignedOut):
        await manager.send_with_token(send)

    assert send.tokens == []
    assert transport.calls == 0


async def test_send_with_token_rejected_refresh() -> None:
    manager, transport, hooks, _ = make_manager(RefreshFailed(status=401))
    manager.set_token("T1", 900)
    transport.gate.set()
    send = RecordingSend(auth_error("AUTH_EXPIRED"))

    with pytest.raises(SessionExpired):
        await manager.send_with_token(send)

    assert send.tokens == ["T1"]
    assert hooks.expired == 1
