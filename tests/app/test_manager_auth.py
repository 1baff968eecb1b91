"""Tests of the upload manager with expiring tokens and a real TokenManager.

`ExpiringServer` plays the server's side with the fake clock: each access
token expires `ttl` seconds after it was issued, an upload sent with an
expired token gets 401 `AUTH_EXPIRED`, and each refresh issues a new token.
"""

from __future__ import annotations

import asyncio
import itertools

from app.auth import RefreshFailed, RefreshResult, SessionState, TokenManager
from app.config import AppConfig
from app.errors import AuthError, HttpError, NetworkError
from app.manager import ManagerHooks, UploadManager
from app.model import FileInfo, UploadOptions, UploadStatus
from app.retry import Jitter, RetryPolicy
from tests.app.fakes import FakeClock, ScriptedTransport, Step

S = UploadStatus


class ExpiringServer:
    """Issues access tokens that expire and counts refreshes and 401s."""

    def __init__(self, clock: FakeClock, ttl: float, refresh_seconds: float = 0.2) -> None:
        self.clock = clock
        self.ttl = ttl
        self.refresh_seconds = refresh_seconds
        self.expiry: dict[str, float] = {}
        self.refresh_calls = 0
        # The outcomes of the next refreshes, before the default of success.
        self.refresh_outcomes: list[Exception] = []
        self._serial = itertools.count(1)

    def issue(self) -> str:
        token = f"T{next(self._serial)}"
        self.expiry[token] = self.clock.now + self.ttl
        return token

    def is_valid(self, token: str) -> bool:
        return self.clock.now < self.expiry.get(token, float("-inf"))

    async def refresh(self) -> RefreshResult:
        self.refresh_calls += 1
        await self.clock.sleep(self.refresh_seconds)
        if self.refresh_outcomes:
            raise self.refresh_outcomes.pop(0)
        return RefreshResult(self.issue(), self.ttl)


class TokenCheckingTransport(ScriptedTransport):
    """Plays the scripted steps, but returns 401 when the token expired.

    A 401 transfer takes its place in the step order too.
    """

    def __init__(self, clock: FakeClock, server: ExpiringServer, steps=None) -> None:
        super().__init__(clock, steps or [Step()])
        self.server = server
        self.unauthorized = 0
        self.tokens: list[str] = []

    def start(self, request, listener):
        self.tokens.append(request.token)
        if self.server.is_valid(request.token):
            return super().start(request, listener)
        self.unauthorized += 1
        # The server checks the token before it reads the body.
        rejected = Step(
            outcome=AuthError(401, "The access token has expired.", code="AUTH_EXPIRED"),
            duration=0.05,
            progress_steps=1,
            processing=0.0,
        )
        saved = self.steps
        self.steps = [rejected]
        try:
            return super().start(request, listener)
        finally:
            self.steps = saved


def text_file(name: str, size: int = 1000) -> FileInfo:
    return FileInfo(name=name, size=size, type="text/plain", last_modified=1, source=object())


def make_setup(
    *,
    ttl: float = 2.0,
    steps=None,
    config: AppConfig | None = None,
    policy: RetryPolicy | None = None,
    hooks: ManagerHooks | None = None,
):
    clock = FakeClock()
    server = ExpiringServer(clock, ttl)
    transport = TokenCheckingTransport(clock, server, steps)
    auth = TokenManager(server.refresh, clock=clock)
    auth.set_token(server.issue(), ttl)
    ids = itertools.count(1)
    keys = itertools.count(1)
    manager = UploadManager(
        config or AppConfig(),
        transport,
        auth=auth,
        clock=clock,
        sleep=clock.sleep,
        random=lambda: 0.5,
        new_id=lambda: f"f{next(ids)}",
        new_key=lambda: f"key-{next(keys)}",
        hooks=hooks,
        policy=policy or RetryPolicy(jitter=Jitter.NONE),
    )
    return manager, transport, server, auth, clock


def all_settled(manager: UploadManager):
    return lambda: not manager._tasks


def add(manager: UploadManager, count: int, prefix: str = "f") -> list:
    files = [text_file(f"{prefix}{n}.txt") for n in range(count)]
    return manager.add_files(files, UploadOptions()).added


def keys_by_item(transport: ScriptedTransport) -> dict[str, set[str]]:
    """Map each file name to the idempotency keys its requests carried."""
    keys: dict[str, set[str]] = {}
    for transfer in transport.transfers:
        keys.setdefault(transfer.request.file_name, set()).add(
            transfer.request.idempotency_key
        )
    return keys


async def test_twelve_concurrent_expiries_refresh_once():
    manager, transport, server, auth, clock = make_setup(
        config=AppConfig(concurrency=12)
    )
    clock.now += 5  # the first token has expired before any upload starts

    items = add(manager, 12)
    await clock.run(all_settled(manager))

    assert server.refresh_calls == 1
    assert transport.unauthorized == 12
    assert [item.status for item in items] == [S.SUCCEEDED] * 12
    assert [item.attempts for item in items] == [1] * 12
    assert transport.tokens[12:] == ["T2"] * 12
    assert all(len(keys) == 1 for keys in keys_by_item(transport).values())


async def test_long_batch_refreshes_once_per_expiry():
    # Durations from 0.4 to 1.6 s keep the three upload slots out of step.
    durations = [0.4 + 0.3 * (n % 5) for n in range(60)]
    manager, transport, server, auth, clock = make_setup(
        ttl=2.0, steps=[Step(duration=d, processing=0.1) for d in durations]
    )
    # The first token has expired, so the whole first wave gets 401 at once.
    clock.now += 5
    started = clock.now

    items = add(manager, 24)
    await clock.run(all_settled(manager))
    elapsed = clock.now - started

    assert [item.status for item in items] == [S.SUCCEEDED] * 24
    assert [item.attempts for item in items] == [1] * 24
    # Each refresh follows the expiry of the token before it, so a batch
    # that ran `elapsed` seconds crossed at most elapsed / ttl + 1 expiries.
    assert server.refresh_calls >= 3
    assert server.refresh_calls <= elapsed / server.ttl + 1
    assert transport.unauthorized > server.refresh_calls
    assert manager.awaiting_sign_in is False


async def test_replay_uses_no_retry_attempt():
    server_error = HttpError(503, "Unavailable.")
    manager, transport, server, auth, clock = make_setup(
        ttl=1000.0,
        # The 401, then three 503s after the replay, use up every retry
        # but the last.
        steps=[Step()] + [Step(outcome=server_error)] * 3 + [Step()],
        policy=RetryPolicy(max_retries=3, jitter=Jitter.NONE),
    )
    clock.now += 2000  # expire the first token
    item = add(manager, 1)[0]

    await clock.run(all_settled(manager))

    assert server.refresh_calls == 1
    assert transport.unauthorized == 1
    assert item.status is S.SUCCEEDED
    assert item.attempts == 4
    assert len(transport.transfers) == 5
    assert {transfer.request.idempotency_key for transfer in transport.transfers} == {
        "key-1"
    }


async def test_later_uploads_use_new_token():
    manager, transport, server, auth, clock = make_setup(ttl=100.0)
    clock.now += 200
    add(manager, 1, prefix="first")
    await clock.run(all_settled(manager))

    add(manager, 2, prefix="later")
    await clock.run(all_settled(manager))

    assert server.refresh_calls == 1
    assert transport.tokens == ["T1", "T2", "T2", "T2"]
    assert transport.unauthorized == 1


async def test_fresh_token_rejected_needs_sign_in():
    expired = AuthError(401, "Expired.", code="AUTH_EXPIRED")
    prompts = []
    hooks = ManagerHooks(sign_in_required=lambda: prompts.append(True))
    manager, transport, server, auth, clock = make_setup(
        ttl=1000.0, steps=[Step(outcome=expired)], hooks=hooks
    )
    clock.now += 2000
    item = add(manager, 1)[0]

    await clock.run(all_settled(manager))

    # One refresh, one replay with its token, and no second refresh.
    assert server.refresh_calls == 1
    assert transport.tokens == ["T1", "T2"]
    assert item.status is S.AUTH_REQUIRED
    assert item.attempts == 1
    assert prompts == [True]


async def test_invalid_token_sends_no_refresh():
    invalid = AuthError(401, "Invalid.", code="AUTH_INVALID")
    manager, transport, server, auth, clock = make_setup(
        ttl=1000.0, steps=[Step(outcome=invalid)]
    )
    item = add(manager, 1)[0]

    await clock.run(all_settled(manager))

    assert server.refresh_calls == 0
    assert len(transport.transfers) == 1
    assert item.status is S.AUTH_REQUIRED


async def test_rejected_refresh_holds_queue_then_resumes():
    prompts = []
    hooks = ManagerHooks(sign_in_required=lambda: prompts.append(True))
    manager, transport, server, auth, clock = make_setup(
        ttl=2.0, config=AppConfig(concurrency=2), hooks=hooks
    )
    server.refresh_outcomes.append(RefreshFailed(status=401, code="REFRESH_INVALID"))
    clock.now += 5
    items = add(manager, 5)

    await clock.run(all_settled(manager))

    assert [item.status for item in items] == [S.AUTH_REQUIRED] * 5
    assert server.refresh_calls == 1
    # Only the two running uploads sent a request; the queued ones sent none.
    assert len(transport.transfers) == 2
    assert auth.state is SessionState.EXPIRED
    assert manager.awaiting_sign_in is True
    assert prompts == [True]
    assert all(item.error is None for item in items)

    server.ttl = 1000.0
    auth.set_token(server.issue(), server.ttl)
    resumed = manager.resume_after_sign_in()
    await clock.run(all_settled(manager))

    assert resumed == 5
    assert [item.status for item in items] == [S.SUCCEEDED] * 5
    assert server.refresh_calls == 1
    assert all(len(keys) == 1 for keys in keys_by_item(transport).values())
    assert manager.awaiting_sign_in is False


async def test_rejected_refresh_holds_retrying_items():
    server_error = HttpError(503, "Unavailable.")
    manager, transport, server, auth, clock = make_setup(
        ttl=1000.0, steps=[Step(outcome=server_error), Step()]
    )
    item = add(manager, 1)[0]
    await clock.run(lambda: item.status is S.RETRYING)

    manager.require_sign_in()
    await clock.run(all_settled(manager))

    assert item.status is S.AUTH_REQUIRED
    assert len(transport.transfers) == 1


async def test_refresh_network_error_counts_attempt():
    manager, transport, server, auth, clock = make_setup(ttl=1000.0)
    server.refresh_outcomes.append(NetworkError("The server could not be reached."))
    clock.now += 2000
    item = add(manager, 1)[0]

    await clock.run(all_settled(manager))

    # The first refresh failed on the network, so attempt 1 failed; attempt 2
    # got 401 again, refreshed and was replayed.
    assert item.status is S.SUCCEEDED
    assert item.attempts == 2
    assert server.refresh_calls == 2
    assert auth.state is SessionState.ACTIVE


async def test_cancel_while_refresh_runs_skips_replay():
    manager, transport, server, auth, clock = make_setup(ttl=1000.0)
    server.refresh_seconds = 10.0
    clock.now += 2000
    item = add(manager, 1)[0]
    await clock.run(lambda: server.refresh_calls == 1)
    await clock.settle()

    manager.cancel(item.id)
    await clock.run(all_settled(manager))

    assert item.status is S.CANCELLED
    assert len(transport.transfers) == 1


async def test_sign_out_cancels_and_waiting_item_stops():
    manager, transport, server, auth, clock = make_setup(
        ttl=1000.0, config=AppConfig(concurrency=1)
    )
    server.refresh_seconds = 10.0
    clock.now += 2000
    items = add(manager, 3)
    await clock.run(lambda: server.refresh_calls == 1)
    await clock.settle()

    cancelled = manager.cancel_unfinished()
    auth.clear()
    manager.require_sign_in(notify=False)
    await clock.run(all_settled(manager))

    assert cancelled == 3
    assert [item.status for item in items] == [S.CANCELLED] * 3
    assert len(transport.transfers) == 1
    assert auth.token is None


async def test_no_token_holds_upload_without_request():
    manager, transport, server, auth, clock = make_setup()
    auth.clear()
    item = add(manager, 1)[0]

    await clock.run(all_settled(manager))

    assert item.status is S.AUTH_REQUIRED
    assert transport.transfers == []


async def test_token_from_other_tab_replays_without_refresh():
    manager, transport, server, auth, clock = make_setup(ttl=1000.0)
    server.refresh_seconds = 10.0
    clock.now += 2000
    item = add(manager, 1)[0]
    await clock.run(lambda: server.refresh_calls == 1)

    auth.token_received_from_other_tab(server.issue(), server.ttl)
    await clock.run(lambda: item.status is S.SUCCEEDED)

    assert transport.tokens == ["T1", "T2"]
    assert item.attempts == 1
    await asyncio.sleep(0)
