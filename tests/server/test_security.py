"""Security checks of the server: sign-in rate limit, cookie flags, test
controls behind their flag, and a loopback address by default."""

from __future__ import annotations

import subprocess
import sys
import urllib.error
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path

import pytest

from server import create_app
from server.__main__ import parse_settings
from server.login_limit import MAX_FAILURES_PER_ADDRESS, MAX_FAILURES_PER_USER, LoginLimiter
from tests.server.support import DEMO_PASSWORD, DEMO_USER, Api, add_user, error_of
from tests.server.test_cli import read_serving_line

REPOSITORY = Path(__file__).resolve().parents[2]
TEST_CONTROL_PATHS = [
    ("POST", "/__test__/reset"),
    ("POST", "/__test__/config"),
    ("POST", "/__test__/faults"),
    ("GET", "/__test__/stats"),
]


async def login(api: Api, username: str = DEMO_USER, password: str = DEMO_PASSWORD):
    return await api.client.post(
        "/api/auth/login", json={"username": username, "password": password}
    )


# Sign-in rate limit.


async def test_login_limited_after_failures(api: Api):
    for _ in range(MAX_FAILURES_PER_USER):
        response = await login(api, password="wrong")
        assert response.status == 401

    limited = await login(api, password="wrong")
    right_password = await login(api)

    assert limited.status == 429
    assert limited.headers["Retry-After"] == "60"
    error = await error_of(limited)
    assert error["code"] == "RATE_LIMITED"
    assert error["message"] == (
        "Too many failed sign-in attempts. Wait 60 seconds and try again."
    )
    assert right_password.status == 429


async def test_login_limit_ends_after_window(api: Api):
    for _ in range(MAX_FAILURES_PER_USER):
        await login(api, password="wrong")
    api.clock.advance(30)

    limited = await login(api)
    api.clock.advance(30)
    allowed = await login(api)

    assert limited.status == 429
    assert limited.headers["Retry-After"] == "30"
    assert allowed.status == 200


async def test_login_success_clears_user_failures(api: Api):
    for _ in range(MAX_FAILURES_PER_USER - 1):
        await login(api, password="wrong")

    assert (await login(api)).status == 200
    for _ in range(MAX_FAILURES_PER_USER - 1):
        assert (await login(api, password="wrong")).status == 401
    assert (await login(api)).status == 200


async def test_login_limit_per_address(api: Api):
    for index in range(MAX_FAILURES_PER_ADDRESS):
        response = await login(api, username=f"guess-{index}", password="wrong")
        assert response.status == 401

    other_user = await login(api)

    assert other_user.status == 429


async def test_login_limit_spares_other_user(api: Api):
    await add_user(api, "bob", "bob-password")
    for _ in range(MAX_FAILURES_PER_USER):
        await login(api, password="wrong")

    assert (await login(api, "bob", "bob-password")).status == 200


async def test_reset_control_clears_login_limit(api: Api):
    for _ in range(MAX_FAILURES_PER_USER):
        await login(api, password="wrong")

    await api.client.post("/__test__/reset")

    assert (await login(api)).status == 200


def test_login_limiter_bounds_keys():
    limiter = LoginLimiter()

    for index in range(30_000):
        limiter.record_failure(f"10.0.{index // 256}.{index % 256}", f"u{index}", 0.0)

    assert len(limiter._failures) <= 10_000


# The refresh cookie.


async def test_refresh_cookie_flags(api: Api):
    response = await login(api)

    headers = response.headers.getall("Set-Cookie")
    assert len(headers) == 1
    cookie = SimpleCookie(headers[0])["refresh_token"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/auth"
    assert cookie["secure"] == ""
    body = await response.json()
    assert cookie.value not in body.values()


async def test_refresh_cookie_secure_off_loopback(aiohttp_client, settings, clock):
    public = type(settings)(**{**settings.__dict__, "host": "0.0.0.0"})
    client = await aiohttp_client(create_app(public, clock=clock))

    response = await client.post(
        "/api/auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD}
    )

    cookie = SimpleCookie(response.headers["Set-Cookie"])["refresh_token"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True


# Test controls and the listening address.


@pytest.mark.parametrize(("method", "path"), TEST_CONTROL_PATHS)
async def test_controls_absent_without_flag(aiohttp_client, settings, clock, method, path):
    plain = type(settings)(**{**settings.__dict__, "test_controls": False})
    client = await aiohttp_client(create_app(plain, clock=clock))

    response = await client.request(method, path, json={"rules": []})

    assert response.status == 404


def test_default_host_is_loopback():
    assert parse_settings([]).host == "127.0.0.1"
    assert parse_settings([]).test_controls is False


def test_cli_without_flags_loopback_and_no_controls(tmp_path: Path):
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", "0", "--data-dir", str(tmp_path / "data")],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        address = read_serving_line(process).removeprefix("Serving on ")
        with pytest.raises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(address + "/__test__/stats", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert address.startswith("http://127.0.0.1:")
    assert raised.value.code == 404
