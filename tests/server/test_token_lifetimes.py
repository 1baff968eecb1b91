"""Token lifetimes from the command line and refresh-token rotation chains."""

from __future__ import annotations

import dataclasses

import pytest

from server import create_app
from server.__main__ import parse_settings
from server.auth_tokens import REUSE_GRACE_SECONDS
from tests.server.support import Api
from tests.server.test_auth import HISTORY_PATH, error_code, refresh_cookie, refresh_with


def test_cli_parses_token_lifetimes():
    settings = parse_settings(["--access-token-ttl", "2", "--refresh-token-ttl", "30"])

    assert settings.access_token_ttl == 2
    assert settings.refresh_token_ttl == 30


@pytest.mark.parametrize("value", ["0", "-5", "two"])
def test_cli_rejects_bad_token_lifetime(value, capsys):
    with pytest.raises(SystemExit):
        parse_settings(["--access-token-ttl", value])

    assert "--access-token-ttl" in capsys.readouterr().err


@pytest.fixture
async def short_lived(aiohttp_client, settings, clock) -> Api:
    short = dataclasses.replace(settings, access_token_ttl=2, refresh_token_ttl=30)
    client = await aiohttp_client(create_app(short, clock=clock))
    return Api(client, clock, short)


async def test_short_lifetimes_apply_to_tokens(short_lived: Api):
    response = await short_lived.client.post(
        "/api/auth/login", json={"username": "demo", "password": "demo-password"}
    )
    body = await response.json()
    token = body["accessToken"]
    cookie = response.cookies["refresh_token"]

    assert body["expiresIn"] == 2
    assert cookie["max-age"] == "30"
    short_lived.clock.advance(2)
    expired = await short_lived.client.get(
        HISTORY_PATH, headers={"Authorization": f"Bearer {token}"}
    )
    assert expired.status == 401
    assert await error_code(expired) == "AUTH_EXPIRED"


async def test_reset_restores_command_line_lifetimes(short_lived: Api):
    await short_lived.client.post("/__test__/config", json={"accessTokenTtl": 60})

    reset = await short_lived.client.post("/__test__/reset")

    assert (await reset.json())["config"]["accessTokenTtl"] == 2


async def test_refresh_chain_rotates_every_time(short_lived: Api):
    await short_lived.login()
    cookies = [refresh_cookie(short_lived)]

    for _ in range(5):
        short_lived.clock.advance(3)  # the access token has expired
        response = await short_lived.client.post("/api/auth/refresh")
        assert response.status == 200
        cookies.append(refresh_cookie(short_lived))

    assert len(set(cookies)) == 6
    assert (await short_lived.stats())["refreshCalls"] == 5


async def test_old_cookie_after_chain_revokes_session(short_lived: Api):
    await short_lived.login()
    first = refresh_cookie(short_lived)
    for _ in range(3):
        await short_lived.client.post("/api/auth/refresh")
    newest = refresh_cookie(short_lived)

    reuse = await refresh_with(short_lived, first)
    after = await refresh_with(short_lived, newest)

    assert reuse.status == 401
    assert await error_code(reuse) == "REFRESH_INVALID"
    assert after.status == 401


async def test_same_cookie_twice_replaces_successor(short_lived: Api):
    """A refresh whose response was lost, sent again with the same cookie."""
    await short_lived.login()
    cookie = refresh_cookie(short_lived)

    first = await refresh_with(short_lived, cookie)
    short_lived.clock.advance(REUSE_GRACE_SECONDS - 1)
    second = await refresh_with(short_lived, cookie)
    lost = first.cookies["refresh_token"].value
    newest = second.cookies["refresh_token"].value
    next_refresh = await refresh_with(short_lived, newest)

    assert first.status == 200
    assert second.status == 200
    assert newest != lost
    assert next_refresh.status == 200


async def test_replaced_successor_revokes_session(short_lived: Api):
    """Two holders of one cookie: the one left with the replaced token ends it."""
    await short_lived.login()
    cookie = refresh_cookie(short_lived)

    first = await refresh_with(short_lived, cookie)
    second = await refresh_with(short_lived, cookie)
    replaced = await refresh_with(short_lived, first.cookies["refresh_token"].value)
    after = await refresh_with(short_lived, second.cookies["refresh_token"].value)

    assert second.status == 200
    assert replaced.status == 401
    assert after.status == 401


async def test_same_cookie_after_grace_revokes_session(short_lived: Api):
    await short_lived.login()
    cookie = refresh_cookie(short_lived)

    first = await refresh_with(short_lived, cookie)
    short_lived.clock.advance(REUSE_GRACE_SECONDS + 1)
    second = await refresh_with(short_lived, cookie)
    after = await refresh_with(short_lived, first.cookies["refresh_token"].value)

    assert first.status == 200
    assert second.status == 401
    assert after.status == 401


async def test_same_cookie_after_successor_used_revokes(short_lived: Api):
    await short_lived.login()
    cookie = refresh_cookie(short_lived)

    first = await refresh_with(short_lived, cookie)
    successor = await refresh_with(short_lived, first.cookies["refresh_token"].value)
    reuse = await refresh_with(short_lived, cookie)
    after = await refresh_with(short_lived, successor.cookies["refresh_token"].value)

    assert successor.status == 200
    assert reuse.status == 401
    assert after.status == 401


async def test_same_cookie_after_logout_rejected(short_lived: Api):
    await short_lived.login()
    cookie = refresh_cookie(short_lived)
    first = await refresh_with(short_lived, cookie)
    short_lived.client.session.cookie_jar.update_cookies(
        {"refresh_token": first.cookies["refresh_token"].value}
    )

    await short_lived.client.post("/api/auth/logout")
    reuse = await refresh_with(short_lived, cookie)

    assert reuse.status == 401
