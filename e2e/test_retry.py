"""Retries against the real server with faults injected at the HTTP level."""

from __future__ import annotations

import time

from support import add_files, row, sign_in, wait_status, write_sized_file, write_text_file

UPLOAD = "/p-v2/api/files/file-paraphrase"
TEXT = "A short document that the server paraphrases for the retry tests.\n" * 20


def fault(action: str, times: int = 1, **fields) -> dict:
    return {"path": UPLOAD, "times": times, "action": action, **fields}


def row_text(page, name: str) -> str:
    return row(page, name).locator(".row-status").inner_text()


def test_dropped_connection_is_retried(page, server, tmp_path):
    server.add_faults(fault("drop", afterBytes=65536))
    path = write_sized_file(tmp_path, "dropped.txt", 2 * 1024 * 1024)
    sign_in(page, server)

    add_files(page, path)
    wait_status(page, "dropped.txt", "succeeded")

    stats = server.stats()
    assert stats["faultsApplied"] == 1
    assert stats["uploadsStarted"] == 2
    assert stats["uploadsProcessed"] == 1


def test_server_errors_twice_then_success(page, server, tmp_path):
    server.add_faults(fault("status", times=2, status=500))
    sign_in(page, server)

    add_files(page, write_text_file(tmp_path, "flaky.txt", TEXT))
    wait_status(page, "flaky.txt", "succeeded")

    stats = server.stats()
    assert stats["uploadsStarted"] == 3
    assert stats["uploadsProcessed"] == 1


def test_unavailable_four_times_fails_after_four_attempts(page, server, tmp_path):
    # Retry-After makes each wait last a second, long enough to read the row.
    server.add_faults(fault("status", times=4, status=503, retryAfter=1))
    sign_in(page, server)

    add_files(page, write_text_file(tmp_path, "down.txt", TEXT))
    page.locator("#queue li[data-status='retrying']").wait_for()
    assert "Attempt 2 of 4, next try in" in row_text(page, "down.txt")
    wait_status(page, "down.txt", "failed")

    assert "4 attempts" in row_text(page, "down.txt")
    assert server.stats()["uploadsStarted"] == 4
    assert row(page, "down.txt").get_by_role("button", name="Retry").is_visible()


def test_bad_request_fails_at_once(page, server, tmp_path):
    server.add_faults(fault("status", status=400))
    sign_in(page, server)

    add_files(page, write_text_file(tmp_path, "rejected.txt", TEXT))
    wait_status(page, "rejected.txt", "failed")

    assert server.stats()["uploadsStarted"] == 1
    assert "1 attempt" in row_text(page, "rejected.txt")
    assert row(page, "rejected.txt").get_by_role("button", name="Retry").count() == 0


def test_rate_limit_waits_for_retry_after(page, server, tmp_path):
    server.add_faults(fault("status", status=429, retryAfter=2))
    sign_in(page, server)

    add_files(page, write_text_file(tmp_path, "limited.txt", TEXT))
    page.locator("#queue li[data-status='retrying']").wait_for()
    retrying_seen = time.monotonic()
    assert "next try in 2 s" in row_text(page, "limited.txt")
    wait_status(page, "limited.txt", "succeeded")

    # The retry cannot start before the 2 s the server asked for (minus the
    # time between the row changing and this test seeing it).
    assert time.monotonic() - retrying_seen >= 1.5
    assert server.stats()["uploadsStarted"] == 2


def test_manual_retry_and_retry_all(page, server, tmp_path):
    server.add_faults(fault("status", times=12, status=503))
    sign_in(page, server)
    files = [write_text_file(tmp_path, f"batch-{n}.txt", TEXT) for n in range(3)]

    add_files(page, *files)
    for n in range(3):
        wait_status(page, f"batch-{n}.txt", "failed")
    assert server.stats()["uploadsStarted"] == 12

    row(page, "batch-0.txt").get_by_role("button", name="Retry").click()
    wait_status(page, "batch-0.txt", "succeeded")
    page.get_by_role("button", name="Retry all failed").click()
    wait_status(page, "batch-1.txt", "succeeded")
    wait_status(page, "batch-2.txt", "succeeded")

    stats = server.stats()
    assert stats["uploadsProcessed"] == 3
    assert stats["distinctIdempotencyKeys"] == 3


def test_lost_response_is_not_processed_twice(page, server, tmp_path):
    server.add_faults(fault("drop_response"))
    sign_in(page, server)

    add_files(page, write_text_file(tmp_path, "lost.txt", TEXT))
    wait_status(page, "lost.txt", "succeeded")

    stats = server.stats()
    assert stats["uploadsStarted"] == 2
    assert stats["uploadsProcessed"] == 1
    assert stats["distinctIdempotencyKeys"] == 1
