"""CORS with credentials for pages on origins given by --allow-origin."""

from __future__ import annotations

import dataclasses

import pytest

from server import Settings
from server.__main__ import parse_settings
from server.cors import normalize_origin
from tests.server.support import UPLOAD_PATH, Api

SITE = "http://127.0.0.1:5173"
OTHER = "https://evil.example"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, allow_origins=(SITE,))


async def test_cors_preflight_allows_upload_headers(api: Api):
    response = await api.client.options(
        UPLOAD_PATH,
        headers={
            "Origin": SITE,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, idempotency-key",
        },
    )

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers
    assert "idempotency-key" in allowed_headers
    assert "content-type" in allowed_headers
    assert int(response.headers["Access-Control-Max-Age"]) > 0
    assert "Origin" in response.headers["Vary"]


async def test_cors_preflight_rejects_unknown_origin(api: Api):
    response = await api.client.options(
        "/api/auth/refresh",
        headers={"Origin": OTHER, "Access-Control-Request-Method": "POST"},
    )

    assert response.status == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    body = await response.json()
    assert body["error"]["code"] == "ORIGIN_NOT_ALLOWED"
    assert f"--allow-origin {OTHER}" in body["error"]["message"]


async def test_cors_login_sets_cookie_with_credentials(api: Api):
    response = await api.client.post(
        "/api/auth/login",
        json={"username": "demo", "password": "demo-password"},
        headers={"Origin": SITE},
    )

    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    assert response.headers["Vary"] == "Origin"
    cookie = response.headers["Set-Cookie"]
    assert "SameSite=Strict" in cookie
    assert "HttpOnly" in cookie


async def test_cors_exposes_upload_headers(api: Api, token: str):
    response = await api.client.post(
        UPLOAD_PATH,
        data=b"",
        headers={"Origin": SITE, "Authorization": f"Bearer {token}"},
    )

    # Error responses carry the headers too, so the page can read them.
    assert response.status == 400
    assert response.headers["Access-Control-Allow-Origin"] == SITE
    exposed = response.headers["Access-Control-Expose-Headers"]
    for name in ("Content-Disposition", "Retry-After", "X-File-Id"):
        assert name in exposed


async def test_cors_ignores_unknown_origin(api: Api):
    response = await api.client.get("/api/health", headers={"Origin": OTHER})

    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Origin"


async def test_cors_leaves_static_files_alone(api: Api):
    response = await api.client.get("/", headers={"Origin": SITE})

    assert response.status == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers


async def test_cors_off_without_allow_origin(aiohttp_client, settings: Settings):
    from server import create_app

    plain = dataclasses.replace(settings, allow_origins=())
    client = await aiohttp_client(create_app(plain))

    response = await client.get("/api/health", headers={"Origin": SITE})
    preflight = await client.options(
        "/api/health", headers={"Origin": SITE, "Access-Control-Request-Method": "GET"}
    )

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers
    assert preflight.status == 403


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("https://App.Example.com/", "https://app.example.com"),
        ("https://app.example.com:443", "https://app.example.com"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_normalize_origin_accepts(text: str, origin: str):
    assert normalize_origin(text) == origin


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("*", "wildcard"),
        ("app.example.com", "not an origin"),
        ("ftp://app.example.com", "not an origin"),
        ("https://app.example.com/path", "has a path"),
        ("https://user@app.example.com", "has a path, query or user name"),
        ("https://app.example.com:99999", "invalid port"),
    ],
)
def test_normalize_origin_rejects(text: str, message: str):
    with pytest.raises(ValueError, match=message):
        normalize_origin(text)


def test_cli_allow_origin_repeats():
    settings = parse_settings(
        [
            "--allow-origin",
            "http://127.0.0.1:5173",
            "--allow-origin",
            "https://app.example.com/",
            "--allow-origin",
            "http://127.0.0.1:5173",
        ]
    )

    assert settings.allow_origins == (
        "http://127.0.0.1:5173",
        "https://app.example.com",
    )


def test_cli_allow_origin_rejects_wildcard(capsys):
    with pytest.raises(SystemExit):
        parse_settings(["--allow-origin", "*"])

    assert "wildcard" in capsys.readouterr().err
