"""Idempotency-Key: stored results, repeats, concurrent requests, validation."""

from __future__ import annotations

import asyncio
import io

import pytest

from tests.server.support import (
    SAMPLE_TEXT,
    UPLOAD_PATH,
    Api,
    add_user,
    error_of,
    history,
)


async def test_idempotent_repeat_stored_result(api: Api, token: str):
    first = await api.upload(token, key="key-1")
    first_body = await first.read()
    second = await api.upload(token, "other.txt", b"Different text.", key="key-1")
    second_body = await second.read()

    assert first.status == 200
    assert second.status == 200
    assert second_body == first_body
    for header in ("X-File-Id", "Content-Type", "Content-Disposition"):
        assert second.headers[header] == first.headers[header]
    stats = await api.stats()
    assert stats["uploadsProcessed"] == 1
    assert stats["uploadsCompleted"] == 2
    assert stats["distinctIdempotencyKeys"] == 1
    assert len(await history(api, token)) == 1


async def test_idempotency_keys_per_user(api: Api, token: str):
    other_token = await add_user(api, "other", "other-password")

    mine = await api.upload(token, key="shared-key")
    theirs = await api.upload(other_token, key="shared-key")

    assert mine.status == 200
    assert theirs.status == 200
    assert mine.headers["X-File-Id"] != theirs.headers["X-File-Id"]
    stats = await api.stats()
    assert stats["uploadsProcessed"] == 2
    assert stats["distinctIdempotencyKeys"] == 2


async def test_idempotent_concurrent_processed_once(api: Api, token: str):
    # A slow read rate keeps both requests in the server at the same time.
    await api.client.post("/__test__/config", json={"readBytesPerSecond": 40_000})
    content = SAMPLE_TEXT.encode() * 80

    first, second = await asyncio.gather(
        api.upload(token, content=content, key="same"),
        api.upload(token, content=content, key="same"),
    )

    assert first.status == 200
    assert second.status == 200
    assert first.headers["X-File-Id"] == second.headers["X-File-Id"]
    assert await first.read() == await second.read()
    stats = await api.stats()
    assert stats["uploadsProcessed"] == 1
    assert stats["maxConcurrentUploads"] == 2
    assert len(await history(api, token)) == 1


async def test_idempotent_retry_after_failure(api: Api, token: str):
    failed = await api.upload(token, "tool.exe", b"MZ\x90\x00binary", key="retry")
    retried = await api.upload(token, "notes.txt", key="retry")

    assert failed.status == 415
    assert retried.status == 200
    assert (await api.stats())["uploadsProcessed"] == 2


@pytest.mark.parametrize("key", ["", "x" * 201, "has space", "tab\tkey", "ключ"])
async def test_idempotency_key_invalid(api: Api, token: str, key: str):
    response = await api.client.post(
        UPLOAD_PATH,
        data={"file": io.BytesIO(b"text")},
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key.encode().decode("latin-1"),
        },
    )

    assert response.status == 400
    assert "Idempotency-Key" in (await error_of(response))["message"]


async def test_idempotency_key_max_length(api: Api, token: str):
    response = await api.upload(token, key="k" * 200)

    assert response.status == 200


async def test_idempotent_retry_not_blocked_by_stalled_attempt(api: Api, token: str):
    # The first attempt stalls mid-body; its client is gone, so a retry with
    # the same key must be served without waiting for that stall to end.
    await api.add_faults(
        {"path": UPLOAD_PATH, "times": 1, "action": "stall", "seconds": 600}
    )
    stalled = asyncio.ensure_future(api.upload(token, key="stalled-key"))
    for _ in range(1000):
        if (await api.stats())["faultsApplied"] == 1:
            break
        await asyncio.sleep(0.01)

    retried = await asyncio.wait_for(api.upload(token, key="stalled-key"), timeout=30)

    assert retried.status == 200
    assert (await api.stats())["uploadsProcessed"] == 1
    stalled.cancel()
