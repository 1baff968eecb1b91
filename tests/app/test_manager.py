"""Tests of the upload manager with a jumping fake clock and a scripted transport."""

from __future__ import annotations

import itertools

import pytest

from app.auth import RefreshFailed, TokenManager
from app.config import AppConfig
from app.errors import AuthError, HttpError, NetworkError, UploadPaused
from app.manager import ManagerHooks, UploadManager
from app.model import FileInfo, UploadItem, UploadOptions, UploadStatus
from app.retry import Jitter, RetryPolicy
from tests.app.fakes import FakeClock, ScriptedTransport, Step

S = UploadStatus


async def reject_refresh():
    raise RefreshFailed(status=401, code="REFRESH_INVALID")


def signed_in(clock, token="t1"):
    """A token manager holding `token`; its refresh is always rejected."""
    auth = TokenManager(reject_refresh, clock=clock)
    auth.set_token(token, 900)
    return auth


def make_manager(steps=None, *, config=None, hooks=None, policy=None, token="t1"):
    clock = FakeClock()
    transport = ScriptedTransport(clock, steps or [Step()])
    ids = itertools.count(1)
    keys = itertools.count(1)
    manager = UploadManager(
        config or AppConfig(),
        transport,
        auth=signed_in(clock, token),
        clock=clock,
        sleep=clock.sleep,
        random=lambda: 0.5,
        new_id=lambda: f"f{next(ids)}",
        new_key=lambda: f"key-{next(keys)}",
        hooks=hooks,
        policy=policy or RetryPolicy(jitter=Jitter.NONE),
    )
    return manager, transport, clock


def text_file(name="a.txt", size=1000):
    return FileInfo(name=name, size=size, type="text/plain", last_modified=1, source=object())


def all_settled(manager):
    return lambda: not manager._tasks


async def test_manager_success_path_visits_processing():
    seen = []
    hooks = ManagerHooks(item_changed=lambda item: seen.append(item.status))
    manager, transport, clock = make_manager(hooks=hooks)

    result = manager.add_files([text_file()], UploadOptions(freeze=("fox",)))
    await clock.run(all_settled(manager))

    item = result.added[0]
    assert item.status is S.SUCCEEDED
    assert S.UPLOADING in seen
    assert S.PROCESSING in seen
    assert seen.index(S.PROCESSING) < seen.index(S.SUCCEEDED)
    request = transport.transfers[0].request
    assert request.token == "t1"
    assert request.idempotency_key == "key-1"
    assert ("freeze", "fox") in request.fields
    assert item.result_name == "out-a.txt"
    assert item.attempts == 1


async def test_manager_limits_concurrency():
    manager, transport, clock = make_manager(config=AppConfig(concurrency=3))

    manager.add_files([text_file(f"{n}.txt") for n in range(10)], UploadOptions())
    await clock.run(all_settled(manager))

    assert len(transport.transfers) == 10
    assert transport.max_in_flight == 3
    assert all(item.status is S.SUCCEEDED for item in manager.queue)


async def test_manager_rejects_invalid_files_without_request():
    manager, transport, clock = make_manager(config=AppConfig(max_file_bytes=5000))
    files = [
        text_file("empty.txt", 0),
        text_file("big.txt", 6000),
        text_file("image.png", 10),
        text_file("good.md", 10),
    ]

    result = manager.add_files(files, UploadOptions())
    await clock.run(all_settled(manager))

    assert [item.file.name for item in result.rejected] == [
        "empty.txt",
        "big.txt",
        "image.png",
    ]
    assert all(item.status is S.FAILED for item in result.rejected)
    assert "empty" in result.rejected[0].error
    assert "limit" in result.rejected[1].error
    assert ".png" in result.rejected[2].error
    assert len(transport.transfers) == 1


async def test_manager_skips_same_file_added_twice():
    manager, transport, clock = make_manager([Step(outcome="hang")])

    manager.add_files([text_file()], UploadOptions())
    second = manager.add_files([text_file()], UploadOptions())

    assert second.added == []
    assert len(second.skipped) == 1
    assert len(manager.queue) == 1


async def test_manager_skips_repeat_within_selection():
    manager, transport, clock = make_manager([Step(outcome="hang")])

    result = manager.add_files(
        [text_file(), text_file("b.txt"), text_file()], UploadOptions()
    )

    assert [item.file.name for item in result.added] == ["a.txt", "b.txt"]
    assert len(result.skipped) == 1
    assert len(manager.queue) == 2


async def test_manager_adds_again_after_rejection():
    manager, transport, clock = make_manager([Step(outcome="hang")])

    first = manager.add_files([text_file(size=0)], UploadOptions())
    second = manager.add_files([text_file(size=0)], UploadOptions())

    assert len(first.rejected) == 1
    assert len(second.rejected) == 1
    assert second.skipped == []


async def test_manager_cancel_mid_upload_ends_cancelled():
    manager, transport, clock = make_manager([Step(duration=10, progress_steps=10)])
    item = manager.add_files([text_file()], UploadOptions()).added[0]
    await clock.run(lambda: item.loaded >= 300)

    manager.cancel(item.id)
    await clock.run(all_settled(manager))

    assert item.status is S.CANCELLED
    assert len(transport.transfers) == 1
    assert transport.transfers[0].aborted_with is not None


async def test_manager_cancel_queued_item_never_starts():
    manager, transport, clock = make_manager(config=AppConfig(concurrency=1))
    first, second = manager.add_files(
        [text_file("1.txt"), text_file("2.txt")], UploadOptions()
    ).added

    manager.cancel(second.id)
    await clock.run(all_settled(manager))

    assert second.status is S.CANCELLED
    assert [t.request.file_name for t in transport.transfers] == ["1.txt"]


async def test_manager_retries_server_errors_then_succeeds():
    error = HttpError(500, "Internal error.")
    manager, transport, clock = make_manager([Step(outcome=error), Step(outcome=error), Step()])
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.SUCCEEDED
    assert item.attempts == 3
    assert transport.keys == ["key-1"] * 3


async def test_manager_fails_after_four_attempts_with_backoff():
    manager, transport, clock = make_manager([Step(outcome=HttpError(503, "Unavailable."))])
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.FAILED
    assert item.attempts == 4
    assert "4 attempts" in item.error
    assert item.retryable
    # Each attempt takes 1.5 fake seconds; the waits are 1, 2 and 4 s.
    gaps = [b - a for a, b in zip(transport.started_at, transport.started_at[1:])]
    assert gaps == pytest.approx([1.5 + 1, 1.5 + 2, 1.5 + 4])


async def test_manager_does_not_retry_client_errors():
    manager, transport, clock = make_manager([Step(outcome=HttpError(400, "Bad."))])
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.FAILED
    assert len(transport.transfers) == 1
    assert not item.retryable
    assert manager.retry(item.id) is False


async def test_manager_honours_retry_after():
    limited = HttpError(429, "Slow down.", retry_after="7")
    manager, transport, clock = make_manager([Step(outcome=limited), Step()])
    manager.add_files([text_file()], UploadOptions())

    await clock.run(all_settled(manager))

    assert transport.started_at[1] - transport.started_at[0] == pytest.approx(1.5 + 7)


async def test_manager_shows_retrying_with_next_try_time():
    manager, transport, clock = make_manager(
        [Step(outcome=NetworkError("Dropped.")), Step()]
    )
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(lambda: item.status is S.RETRYING)

    assert item.next_retry_at == pytest.approx(clock.now + 1.0)
    assert item.error == "Dropped."


async def test_manager_manual_retry_keeps_key_and_resets_budget():
    failing = Step(outcome=HttpError(503, "Unavailable."))
    manager, transport, clock = make_manager([failing] * 4 + [Step()])
    item = manager.add_files([text_file()], UploadOptions()).added[0]
    await clock.run(all_settled(manager))
    assert item.status is S.FAILED

    assert manager.retry(item.id) is True
    await clock.run(all_settled(manager))

    assert item.status is S.SUCCEEDED
    assert item.attempts == 5
    assert set(transport.keys) == {"key-1"}


async def test_manager_retry_all_failed_counts_retryable_only():
    manager, transport, clock = make_manager(
        [Step(outcome=HttpError(503, "Unavailable.")), Step(outcome=HttpError(400, "Bad."))],
        policy=RetryPolicy(max_retries=0),
    )
    manager.add_files([text_file("1.txt"), text_file("2.txt")], UploadOptions())
    await clock.run(all_settled(manager))

    assert manager.retry_all_failed() == 1


async def test_manager_retry_all_starts_each_file_once():
    failing = Step(outcome=HttpError(503, "Unavailable."))
    manager, transport, clock = make_manager(
        [failing] * 3 + [Step()], policy=RetryPolicy(max_retries=0)
    )
    manager.add_files([text_file(f"{n}.txt") for n in range(3)], UploadOptions())
    await clock.run(all_settled(manager))

    assert manager.retry_all_failed() == 3
    await clock.run(all_settled(manager))

    assert len(transport.transfers) == 6
    assert all(item.status is S.SUCCEEDED for item in manager.queue)
    assert sorted(transport.keys[3:]) == sorted(transport.keys[:3])


async def test_manager_success_hook_error_does_not_reupload():
    failures = []

    def broken(item):
        raise RuntimeError("boom")

    hooks = ManagerHooks(
        item_succeeded=broken, hook_failed=lambda where, error: failures.append(where)
    )
    manager, transport, clock = make_manager(hooks=hooks)
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.SUCCEEDED
    assert len(transport.transfers) == 1
    assert failures == ["item_succeeded"]


async def test_manager_aborts_stalled_upload_and_retries():
    config = AppConfig(stall_timeout=30)
    manager, transport, clock = make_manager(
        [Step(duration=10, progress_steps=10, stall_after=0.3), Step()], config=config
    )
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.SUCCEEDED
    assert item.attempts == 2
    first = transport.transfers[0].aborted_with
    assert type(first).__name__ == "StallError"


async def test_manager_slow_steady_upload_never_stalls():
    config = AppConfig(stall_timeout=30)
    manager, transport, clock = make_manager(
        [Step(duration=600, progress_steps=60)], config=config
    )
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager), max_seconds=7200)

    assert item.status is S.SUCCEEDED
    assert item.attempts == 1


async def test_manager_times_out_processing():
    config = AppConfig(processing_timeout=60, max_retries=0)
    manager, transport, clock = make_manager([Step(processing=1000)], config=config)
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager), max_seconds=7200)

    assert item.status is S.FAILED
    assert "60 seconds" in item.error


async def test_manager_pause_uses_no_attempt():
    manager, transport, clock = make_manager([Step(outcome=UploadPaused())])
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.PAUSED
    assert item.attempts == 0


async def test_manager_invalid_token_waits_for_sign_in():
    invalid = AuthError(401, "Invalid.", code="AUTH_INVALID")
    manager, transport, clock = make_manager([Step(outcome=invalid)])
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert item.status is S.AUTH_REQUIRED
    assert manager.awaiting_sign_in is True
    assert len(transport.transfers) == 1


async def test_manager_remove_cancels_and_drops_row():
    removed = []
    hooks = ManagerHooks(item_removed=lambda item: removed.append(item.id))
    manager, transport, clock = make_manager([Step(outcome="hang")], hooks=hooks)
    item = manager.add_files([text_file()], UploadOptions()).added[0]
    await clock.settle()

    manager.remove(item.id)
    await clock.run(all_settled(manager))

    assert item.id not in manager.queue
    assert removed == [item.id]
    assert transport.transfers[0].aborted_with is not None


async def test_manager_clear_completed_keeps_failed():
    manager, transport, clock = make_manager(
        [Step(), Step(outcome=HttpError(400, "Bad."))], config=AppConfig(concurrency=1)
    )
    manager.add_files([text_file("1.txt"), text_file("2.txt")], UploadOptions())
    await clock.run(all_settled(manager))

    assert manager.clear_completed() == 1
    assert [item.file.name for item in manager.queue] == ["2.txt"]


async def test_manager_pause_all_aborts_without_using_attempts():
    manager, transport, clock = make_manager(
        [Step(duration=10, progress_steps=10)], config=AppConfig(concurrency=2)
    )
    items = manager.add_files([text_file(f"{n}.txt") for n in range(3)], UploadOptions()).added
    await clock.run(lambda: items[0].loaded > 0)

    assert manager.pause_all() == 2
    await clock.run(all_settled(manager))

    assert [item.status for item in items] == [S.PAUSED, S.PAUSED, S.QUEUED]
    assert [item.attempts for item in items] == [0, 0, 0]
    assert len(transport.transfers) == 2


async def test_manager_resume_all_restarts_each_paused_once_in_order():
    manager, transport, clock = make_manager(
        [Step(duration=10, progress_steps=10)], config=AppConfig(concurrency=2)
    )
    items = manager.add_files([text_file(f"{n}.txt") for n in range(3)], UploadOptions()).added
    await clock.run(lambda: items[0].loaded > 0)
    manager.pause_all()
    await clock.run(all_settled(manager))

    assert manager.resume_all() == 2
    await clock.run(all_settled(manager))

    names = [t.request.file_name for t in transport.transfers]
    assert names == ["0.txt", "1.txt", "0.txt", "1.txt", "2.txt"]
    assert all(item.status is S.SUCCEEDED for item in items)
    assert [item.attempts for item in items] == [1, 1, 1]


async def test_manager_pause_stops_retry_countdown():
    manager, transport, clock = make_manager(
        [Step(outcome=HttpError(503, "Unavailable.")), Step()]
    )
    item = manager.add_files([text_file()], UploadOptions()).added[0]
    await clock.run(lambda: item.status is S.RETRYING)

    manager.pause_all()
    await clock.run(all_settled(manager))

    assert item.status is S.PAUSED
    assert len(transport.transfers) == 1
    manager.resume_all()
    await clock.run(all_settled(manager))
    assert item.status is S.SUCCEEDED


async def test_manager_network_error_while_offline_is_a_pause():
    offline = {"value": False}
    clock = FakeClock()
    transport = ScriptedTransport(clock, [Step(outcome=NetworkError("Gone."))])
    manager = UploadManager(
        AppConfig(), transport, auth=signed_in(clock), clock=clock, sleep=clock.sleep,
        random=lambda: 0.5, new_id=lambda: "f1", new_key=lambda: "k1",
        is_offline=lambda: offline["value"],
    )
    item = manager.add_files([text_file()], UploadOptions()).added[0]
    offline["value"] = True

    await clock.run(all_settled(manager))

    assert item.status is S.PAUSED
    assert item.attempts == 0


async def test_manager_reports_transfer_failure_while_online():
    seen = []
    hooks = ManagerHooks(transfer_failed=lambda item: seen.append(item.id))
    manager, transport, clock = make_manager(
        [Step(outcome=NetworkError("Reset.")), Step()], hooks=hooks
    )
    item = manager.add_files([text_file()], UploadOptions()).added[0]

    await clock.run(all_settled(manager))

    assert seen == [item.id]
    assert item.status is S.SUCCEEDED


def restored_item(item_id="r1", status=S.QUEUED, source=None, *, key="saved-key"):
    info = FileInfo(
        name="saved.txt", size=1000, type="text/plain", last_modified=7, source=source
    )
    item = UploadItem(
        id=item_id,
        file=info,
        options=UploadOptions(),
        idempotency_key=key,
        status=status,
        total=1000,
        needs_file=source is None,
    )
    return item


async def test_manager_restore_resumes_with_saved_key():
    added = []
    manager, transport, clock = make_manager(hooks=ManagerHooks(item_added=added.append))

    manager.restore([restored_item(source=object())])
    await clock.run(all_settled(manager))

    item = manager.queue.get("r1")
    assert item.status is S.SUCCEEDED
    assert [entry.id for entry in added] == ["r1"]
    assert transport.transfers[0].request.idempotency_key == "saved-key"


async def test_manager_restore_without_file_waits():
    manager, transport, clock = make_manager()

    manager.restore([restored_item(status=S.INTERRUPTED)])
    await clock.settle()

    assert manager.queue.get("r1").status is S.INTERRUPTED
    assert transport.transfers == []


async def test_manager_attach_file_checks_identity():
    manager, transport, clock = make_manager()
    manager.restore([restored_item(status=S.INTERRUPTED)])

    wrong_size = FileInfo("saved.txt", 999, "text/plain", 7, source=object())
    wrong_date = FileInfo("saved.txt", 1000, "text/plain", 8, source=object())
    wrong_name = FileInfo("other.txt", 1000, "text/plain", 7, source=object())
    for info in (wrong_size, wrong_date, wrong_name):
        assert manager.attach_file("r1", info) is False
    assert manager.queue.get("r1").status is S.INTERRUPTED

    same = FileInfo("saved.txt", 1000, "text/plain", 7, source=object())
    assert manager.attach_file("r1", same) is True
    await clock.run(all_settled(manager))

    item = manager.queue.get("r1")
    assert item.status is S.SUCCEEDED
    assert item.needs_file is False
    assert transport.transfers[0].request.source is same.source
    assert transport.transfers[0].request.idempotency_key == "saved-key"


async def test_manager_add_files_attaches_missing_file():
    manager, transport, clock = make_manager()
    manager.restore([restored_item(status=S.INTERRUPTED)])

    same = FileInfo("saved.txt", 1000, "text/plain", 7, source=object())
    new = FileInfo("new.txt", 10, "text/plain", 1, source=object())
    result = manager.add_files([same, new], UploadOptions())
    await clock.run(all_settled(manager))

    assert [item.id for item in result.attached] == ["r1"]
    assert [item.file.name for item in result.added] == ["new.txt"]
    assert result.skipped == []
    assert len(manager.queue) == 2
    assert manager.queue.get("r1").status is S.SUCCEEDED
    keys = sorted(transfer.request.idempotency_key for transfer in transport.transfers)
    assert "saved-key" in keys
    assert len(keys) == 2


async def test_add_files_newer_version_gets_new_row():
    manager, transport, clock = make_manager()
    manager.restore([restored_item(status=S.INTERRUPTED)])

    newer = FileInfo("saved.txt", 1000, "text/plain", 8, source=object())
    result = manager.add_files([newer], UploadOptions())

    assert result.attached == []
    assert [item.file.last_modified for item in result.added] == [8]
    assert manager.queue.get("r1").status is S.INTERRUPTED


async def test_manager_add_files_leaves_unretryable_failure():
    manager, transport, clock = make_manager()
    item = restored_item(status=S.FAILED)
    item.retryable = False
    manager.restore([item])

    same = FileInfo("saved.txt", 1000, "text/plain", 7, source=object())
    result = manager.add_files([same], UploadOptions())

    assert result.attached == []
    assert len(result.added) == 1
    assert manager.queue.get("r1").status is S.FAILED


async def test_manager_retry_refused_without_file():
    manager, transport, clock = make_manager()
    item = restored_item(status=S.FAILED)
    item.retryable = True
    manager.restore([item])

    assert manager.retry("r1") is False
    assert manager.queue.get("r1").status is S.FAILED
