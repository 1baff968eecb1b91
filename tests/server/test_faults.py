"""Test controls: fault rules, live settings, reset, counters."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from server import Settings, create_app
from server.faults import FaultAction, FaultRules, parse_rules
from tests.server.support import SAMPLE_TEXT, UPLOAD_PATH, Api

LARGE_CONTENT = SAMPLE_TEXT.encode() * 1500


async def error_of(response: aiohttp.ClientResponse) -> dict[str, str]:
    return (await response.json())["error"]


async def history_ids(api: Api, token: str) -> list[str]:
    response = await api.client.get(
        "/p-v2/api/files/history", headers={"Authorization": f"Bearer {token}"}
    )
    return [entry["id"] for entry in (await response.json())["files"]]


async def raw_upload_reply(api: Api, token: str, body_bytes: int) -> bytes:
    """Send an upload's headers and body over a raw socket; return the reply.

    Raise ConnectionResetError when the server resets the connection.
    """
    boundary = "test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file";'
        f' filename="big.txt"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"a" * (body_bytes - len(head) - len(tail)) + tail
    request_head = (
        f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
    try:
        writer.write(request_head + body)
        await asyncio.wait_for(writer.drain(), timeout=5)
        return await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()


# Rule validation


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ([], "rules"),
        ({"rules": "x"}, "rules"),
        ({"rules": [5]}, "Rule 0"),
        ({"rules": [{"path": "/", "action": "explode"}]}, "action"),
        ({"rules": [{"action": "delay", "seconds": 1}]}, "path"),
        ({"rules": [{"path": "x", "action": "drop"}]}, "path"),
        ({"rules": [{"path": "/", "action": "status"}]}, "status"),
        ({"rules": [{"path": "/", "action": "status", "status": 200}]}, "status"),
        ({"rules": [{"path": "/", "action": "drop", "afterBytes": -1}]}, "afterBytes"),
        ({"rules": [{"path": "/", "action": "stall", "seconds": 601}]}, "seconds"),
        ({"rules": [{"path": "/", "action": "delay", "seconds": "2"}]}, "seconds"),
        ({"rules": [{"path": "/", "action": "delay", "seconds": 1, "x": 1}]}, "x"),
        ({"rules": [{"path": "/", "action": "drop", "times": 0}]}, "times"),
        ({"rules": [{"path": "/", "action": "drop", "times": True}]}, "times"),
    ],
)
async def test_faults_invalid_rule(api: Api, body: object, fragment: str):
    response = await api.client.post("/__test__/faults", json=body)

    assert response.status == 400
    error = await error_of(response)
    assert error["code"] == "BAD_REQUEST"
    assert fragment in error["message"]


def test_fault_rules_take_in_order():
    rules = FaultRules()
    rules.add(
        parse_rules(
            {
                "rules": [
                    {"path": "/api/", "action": "drop", "times": 2},
                    {"path": "/", "action": "delay", "seconds": 1},
                ]
            }
        )
    )

    taken = [rules.take(path) for path in ["/api/a", "/static", "/api/b", "/api/c"]]

    assert [rule.action if rule else None for rule in taken] == [
        FaultAction.DROP,
        FaultAction.DELAY,
        FaultAction.DROP,
        None,
    ]
    assert len(rules) == 0


async def test_faults_invalid_json(api: Api):
    response = await api.client.post("/__test__/faults", data=b"{")

    assert response.status == 400


# Actions


async def test_fault_status_with_retry_after(api: Api, token: str):
    await api.add_faults(
        {
            "path": UPLOAD_PATH,
            "times": 2,
            "action": "status",
            "status": 503,
            "retryAfter": 2,
        }
    )

    first = await api.upload(token)
    second = await api.upload(token)
    third = await api.upload(token)

    assert first.status == 503
    assert (await error_of(first))["code"] == "SERVICE_UNAVAILABLE"
    assert first.headers["Retry-After"] == "2"
    assert second.status == 503
    assert third.status == 200
    stats = await api.stats()
    assert stats["faultsApplied"] == 2
    assert stats["uploadsProcessed"] == 1


async def test_fault_status_429_rate_limited(api: Api, token: str):
    await api.add_faults(
        {"path": UPLOAD_PATH, "action": "status", "status": 429, "retryAfter": 1}
    )

    response = await api.upload(token, content=LARGE_CONTENT)

    assert response.status == 429
    assert (await error_of(response))["code"] == "RATE_LIMITED"
    assert response.headers["Retry-After"] == "1"


async def test_fault_path_prefix_only(api: Api, token: str):
    await api.add_faults({"path": "/api/auth/", "action": "status", "status": 500})

    upload = await api.upload(token)
    refresh = await api.client.post("/api/auth/refresh")

    assert upload.status == 200
    assert refresh.status == 500
    assert (await error_of(refresh))["code"] == "INTERNAL_ERROR"


async def test_fault_drop_client_error(api: Api, token: str):
    await api.add_faults({"path": UPLOAD_PATH, "action": "drop", "afterBytes": 65536})

    with pytest.raises(aiohttp.ClientError):
        response = await api.upload(token, content=LARGE_CONTENT)
        await response.read()

    stats = await api.stats()
    assert stats["uploadsProcessed"] == 0
    assert stats["uploadsCompleted"] == 0
    assert stats["faultsApplied"] == 1
    assert (await api.upload(token)).status == 200


async def test_fault_drop_raw_socket_reset(api: Api, token: str):
    await api.add_faults({"path": UPLOAD_PATH, "action": "drop", "afterBytes": 65536})

    try:
        reply = await raw_upload_reply(api, token, 200_000)
    except ConnectionResetError:
        reply = b""

    assert not reply.startswith(b"HTTP/")
    assert list((api.settings.data_dir / "tmp").iterdir()) == []


async def test_fault_drop_non_upload_path(api: Api, token: str):
    await api.add_faults({"path": "/p-v2/api/files/history", "action": "drop"})

    with pytest.raises(aiohttp.ClientError):
        await api.client.get(
            "/p-v2/api/files/history", headers={"Authorization": f"Bearer {token}"}
        )


async def test_fault_stall_then_continue(api: Api, token: str):
    await api.add_faults(
        {"path": UPLOAD_PATH, "action": "stall", "seconds": 0.3, "afterBytes": 1000}
    )

    started = time.monotonic()
    response = await api.upload(token, content=LARGE_CONTENT)
    elapsed = time.monotonic() - started

    assert response.status == 200
    assert elapsed >= 0.3


async def test_fault_delay_then_answer(api: Api, token: str):
    await api.add_faults({"path": UPLOAD_PATH, "action": "delay", "seconds": 0.3})

    started = time.monotonic()
    response = await api.upload(token)
    elapsed = time.monotonic() - started

    assert response.status == 200
    assert elapsed >= 0.3


async def test_fault_expire_token(api: Api, token: str):
    await api.add_faults({"path": UPLOAD_PATH, "action": "expire_token"})

    expired = await api.upload(token, content=LARGE_CONTENT)
    retried = await api.upload(token)

    assert expired.status == 401
    assert (await error_of(expired))["code"] == "AUTH_EXPIRED"
    assert retried.status == 200
    assert (await api.stats())["uploadsProcessed"] == 1


async def test_fault_drop_response_stored(api: Api, token: str):
    await api.add_faults({"path": UPLOAD_PATH, "action": "drop_response"})

    with pytest.raises(aiohttp.ClientError):
        response = await api.upload(token, key="lost-reply")
        await response.read()
    after_drop = await api.stats()
    repeat = await api.upload(token, key="lost-reply")

    assert after_drop["uploadsProcessed"] == 1
    assert after_drop["uploadsCompleted"] == 0
    assert repeat.status == 200
    assert (await repeat.read()).strip()
    stats = await api.stats()
    assert stats["uploadsProcessed"] == 1
    assert stats["distinctIdempotencyKeys"] == 1
    assert await history_ids(api, token) == [repeat.headers["X-File-Id"]]


# Live settings


async def test_config_read_rate_throttles(api: Api, token: str):
    response = await api.client.post(
        "/__test__/config", json={"readBytesPerSecond": 100_000}
    )
    assert response.status == 200
    assert (await response.json())["config"]["readBytesPerSecond"] == 100_000

    started = time.monotonic()
    upload = await api.upload(token, content=b"Slow words. " * 5000)
    elapsed = time.monotonic() - started

    assert upload.status == 200
    assert elapsed >= 0.5


async def test_config_token_ttl(api: Api):
    await api.client.post(
        "/__test__/config", json={"accessTokenTtl": 5, "refreshTokenTtl": 60}
    )

    response = await api.client.post(
        "/api/auth/login", json={"username": "demo", "password": "demo-password"}
    )

    assert (await response.json())["expiresIn"] == 5
    assert response.cookies["refresh_token"]["max-age"] == "60"


async def test_config_max_upload_bytes(api: Api, token: str):
    await api.client.post("/__test__/config", json={"maxUploadBytes": 10})

    response = await api.upload(token, content=b"eleven byte")

    assert response.status == 413


@pytest.mark.parametrize(
    "body",
    [
        {"readBytesPerSecond": -1},
        {"accessTokenTtl": 0},
        {"maxUploadBytes": "big"},
        {"refreshTokenTtl": True},
        {"unknown": 1},
        [1],
    ],
)
async def test_config_invalid(api: Api, body: object):
    response = await api.client.post("/__test__/config", json=body)

    assert response.status == 400
    assert (await error_of(response))["code"] == "BAD_REQUEST"


# Reset and counters


async def test_reset_clears_state(api: Api, token: str):
    await api.upload(token, key="before-reset")
    await api.client.post("/__test__/config", json={"maxUploadBytes": 10})
    await api.add_faults({"path": UPLOAD_PATH, "action": "status", "status": 503})

    response = await api.client.post("/__test__/reset")
    after = await api.upload(token, key="before-reset")

    assert response.status == 200
    assert after.status == 200
    stats = await api.stats()
    assert stats["uploadsStarted"] == 1
    assert stats["uploadsProcessed"] == 1
    assert stats["faultsApplied"] == 0
    assert await history_ids(api, token) == [after.headers["X-File-Id"]]
    assert len(list((api.settings.data_dir / "results").iterdir())) == 1
    assert await api.login()


async def test_stats_initial_counters(api: Api):
    assert await api.stats() == {
        "uploadsStarted": 0,
        "uploadsCompleted": 0,
        "uploadsProcessed": 0,
        "distinctIdempotencyKeys": 0,
        "refreshCalls": 0,
        "loginCalls": 0,
        "maxConcurrentUploads": 0,
        "faultsApplied": 0,
    }


async def test_test_controls_absent_without_flag(aiohttp_client, settings, clock):
    plain = Settings(**{**settings.__dict__, "test_controls": False})
    client = await aiohttp_client(create_app(plain, clock=clock))

    for method, path in [
        ("POST", "/__test__/reset"),
        ("POST", "/__test__/config"),
        ("POST", "/__test__/faults"),
        ("GET", "/__test__/stats"),
    ]:
        response = await client.request(method, path, json={})
        assert response.status == 404, path
        assert (await error_of(response))["code"] == "NOT_FOUND"


async def test_test_controls_close_connections(aiohttp_client, settings, clock):
    """Chromium resends, unseen by the page, a request whose reused
    connection is reset, so with test controls no connection is reused."""
    plain = Settings(**{**settings.__dict__, "test_controls": False})
    plain_client = await aiohttp_client(create_app(plain, clock=clock))
    controlled_client = await aiohttp_client(create_app(settings, clock=clock))

    plain_response = await plain_client.get("/api/health")
    controlled_response = await controlled_client.get("/api/health")
    missing = await controlled_client.get("/no-such-page")

    assert plain_response.headers.get("Connection", "").lower() != "close"
    assert controlled_response.headers["Connection"].lower() == "close"
    assert missing.headers["Connection"].lower() == "close"
