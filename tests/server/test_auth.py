"""Sign-in, refresh rotation, logout and the Bearer check."""

from __future__ import annotations

import pytest

from server import Settings, create_app
from tests.server.support import Api

HISTORY_PATH = "/p-v2/api/files/history"


def refresh_cookie(api: Api) -> str:
    cookies = api.client.session.cookie_jar.filter_cookies(
        api.client.make_url("/api/auth/refresh")
    )
    return cookies["refresh_token"].value


async def refresh_with(api: Api, cookie: str):
    """POST /api/auth/refresh with exactly this cookie, ignoring the jar."""
    api.client.session.cookie_jar.clear()
    return await api.client.post("/api/auth/refresh", cookies={"refresh_token": cookie})


async def error_code(response) -> str:
    return (await response.json())["error"]["code"]


async def test_login_valid_credentials(api: Api):
    response = await api.client.post(
        "/api/auth/login", json={"username": "demo", "password": "demo-password"}
    )

    assert response.status == 200
    body = await response.json()
    assert isinstance(body["accessToken"], str)
    assert len(body["accessToken"]) >= 32
    assert body["expiresIn"] == 900
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.cookies["refresh_token"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/auth"
    assert not cookie["secure"]


async def test_login_wrong_password(api: Api):
    response = await api.client.post(
        "/api/auth/login", json={"username": "demo", "password": "wrong"}
    )

    assert response.status == 401
    assert await error_code(response) == "INVALID_CREDENTIALS"
    assert "refresh_token" not in response.cookies


async def test_login_unknown_user(api: Api):
    response = await api.client.post(
        "/api/auth/login", json={"username": "nobody", "password": "demo-password"}
    )

    assert response.status == 401
    assert await error_code(response) == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        b'{"username": "demo"}',
        b'{"username": "demo", "password": 5}',
        b"",
    ],
)
async def test_login_malformed_body(api: Api, body: bytes):
    response = await api.client.post(
        "/api/auth/login", data=body, headers={"Content-Type": "application/json"}
    )

    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "BAD_REQUEST"
    assert "username" in error["message"]


async def test_login_counts_calls(api: Api):
    await api.login()
    await api.client.post("/api/auth/login", json={"username": "x", "password": "y"})

    assert (await api.stats())["loginCalls"] == 2


def test_cookie_secure_off_loopback():
    assert Settings(host="127.0.0.1").secure_cookies is False
    assert Settings(host="localhost").secure_cookies is False
    assert Settings(host="::1").secure_cookies is False
    assert Settings(host="0.0.0.0").secure_cookies is True
    assert Settings(host="example.test").secure_cookies is True


async def test_login_secure_cookie_off_loopback(aiohttp_client, settings, clock):
    public = Settings(**{**settings.__dict__, "host": "0.0.0.0"})
    client = await aiohttp_client(create_app(public, clock=clock))

    response = await client.post(
        "/api/auth/login", json={"username": "demo", "password": "demo-password"}
    )

    assert response.status == 200
    assert response.cookies["refresh_token"]["secure"] is True


async def test_access_token_grants_history(api: Api, token: str):
    response = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status == 200
    assert await response.json() == {"files": []}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer unknown-token", "Basic ZGVtbzpkZW1v", "bearer  "],
)
async def test_access_token_invalid(api: Api, header: str | None):
    headers = {"Authorization": header} if header is not None else {}

    response = await api.client.get(HISTORY_PATH, headers=headers)

    assert response.status == 401
    assert await error_code(response) == "AUTH_INVALID"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_access_token_expired(api: Api, token: str):
    api.clock.advance(899)
    fresh = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {token}"}
    )
    api.clock.advance(1)
    expired = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {token}"}
    )

    assert fresh.status == 200
    assert expired.status == 401
    assert await error_code(expired) == "AUTH_EXPIRED"


async def test_refresh_rotates_cookie(api: Api, token: str):
    first_cookie = refresh_cookie(api)

    response = await api.client.post("/api/auth/refresh")

    assert response.status == 200
    body = await response.json()
    assert body["accessToken"] != token
    assert body["expiresIn"] == 900
    assert refresh_cookie(api) != first_cookie
    assert (await api.stats())["refreshCalls"] == 1
    history = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    assert history.status == 200


async def test_refresh_after_access_expiry(api: Api, token: str):
    api.clock.advance(10_000)

    response = await api.client.post("/api/auth/refresh")

    assert response.status == 200
    new_token = (await response.json())["accessToken"]
    history = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {new_token}"}
    )
    assert history.status == 200


async def test_refresh_without_cookie(api: Api):
    response = await api.client.post("/api/auth/refresh")

    assert response.status == 401
    assert await error_code(response) == "REFRESH_INVALID"


async def test_refresh_token_expired(api: Api, token: str):
    api.clock.advance(14 * 24 * 3600)

    response = await api.client.post("/api/auth/refresh")

    assert response.status == 401
    assert await error_code(response) == "REFRESH_INVALID"


async def test_refresh_reuse_revokes_family(api: Api, token: str):
    stolen = refresh_cookie(api)
    await api.client.post("/api/auth/refresh")
    # The holder uses the successor, so the stolen token gets no grace.
    rotated = await api.client.post("/api/auth/refresh")
    assert rotated.status == 200
    current_access = (await rotated.json())["accessToken"]
    current_cookie = refresh_cookie(api)

    reuse = await refresh_with(api, stolen)
    after = await refresh_with(api, current_cookie)
    history = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {current_access}"}
    )

    assert reuse.status == 401
    assert await error_code(reuse) == "REFRESH_INVALID"
    assert after.status == 401
    assert await error_code(after) == "REFRESH_INVALID"
    assert history.status == 401


async def test_refresh_reuse_spares_other_logins(api: Api, token: str):
    stolen = refresh_cookie(api)
    await api.client.post("/api/auth/refresh")
    other_token = await api.login()
    other_cookie = refresh_cookie(api)

    await refresh_with(api, stolen)
    other = await refresh_with(api, other_cookie)
    history = await api.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {other_token}"}
    )

    assert other.status == 200
    assert history.status == 200


async def test_logout_revokes_refresh(api: Api, token: str):
    cookie = refresh_cookie(api)

    response = await api.client.post("/api/auth/logout")
    refresh = await refresh_with(api, cookie)

    assert response.status == 204
    assert response.cookies["refresh_token"].value == ""
    assert response.cookies["refresh_token"]["path"] == "/api/auth"
    assert refresh.status == 401
    assert await error_code(refresh) == "REFRESH_INVALID"


async def test_logout_without_cookie(api: Api):
    response = await api.client.post("/api/auth/logout")

    assert response.status == 204


async def test_demo_password_updated_on_start(aiohttp_client, settings, clock):
    await aiohttp_client(create_app(settings, clock=clock))
    changed = Settings(**{**settings.__dict__, "demo_password": "new-password"})
    client = await aiohttp_client(create_app(changed, clock=clock))

    old = await client.post(
        "/api/auth/login", json={"username": "demo", "password": "demo-password"}
    )
    new = await client.post(
        "/api/auth/login", json={"username": "demo", "password": "new-password"}
    )

    assert old.status == 401
    assert new.status == 200
