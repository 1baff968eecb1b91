"""The server's side of the bad-input catalogue in docs/bad-inputs.md.

Each case sends one bad request and checks the status, the error code and a
fragment of the message; then a good upload from the same user must still
succeed, so no bad request leaves the server broken.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
import pytest

from tests.server.support import (
    BOUNDARY,
    SAMPLE_TEXT,
    UPLOAD_PATH,
    Api,
    multipart_body,
    temp_files,
)

MIB = 1024 * 1024
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


@dataclass(frozen=True)
class Case:
    """One bad request and the error it must get."""

    id: str
    send: Callable[[Api, str], Awaitable[aiohttp.ClientResponse]]
    status: int
    code: str
    message: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_upload(body: bytes, headers: dict[str, str]):
    async def send(api: Api, token: str) -> aiohttp.ClientResponse:
        return await api.client.post(
            UPLOAD_PATH, data=body, headers={**bearer(token), **headers}
        )

    return send


def upload_as(name: str, content: bytes, **fields: str | list[str]):
    async def send(api: Api, token: str) -> aiohttp.ClientResponse:
        return await api.upload(token, name, content, fields=fields)

    return send


def upload_big_as(name: str, make: Callable[[], bytes]):
    """Upload under a raised size limit, so the content check is what rejects it."""

    async def send(api: Api, token: str) -> aiohttp.ClientResponse:
        response = await api.client.post(
            "/__test__/config", json={"maxUploadBytes": 16 * MIB}
        )
        assert response.status == 200
        return await api.upload(token, name, make())

    return send


def upload_with_headers(extra: Callable[[str], dict[str, str]]):
    """Upload a good file, with headers built from the access token."""

    async def send(api: Api, token: str) -> aiohttp.ClientResponse:
        body = multipart_body("notes.txt", SAMPLE_TEXT.encode(), {})
        headers = {"Content-Type": MULTIPART, **extra(token)}
        return await api.client.post(UPLOAD_PATH, data=body, headers=headers)

    return send


async def send_expired_token(api: Api, token: str) -> aiohttp.ClientResponse:
    api.clock.advance(api.settings.access_token_ttl + 1)
    return await api.upload(token)


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bomb() -> bytes:
    """A .docx of under 1 MiB whose document.xml unpacks to 1 GiB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            block = b"\0" * MIB
            for _ in range(1024):
                entry.write(block)
    return buffer.getvalue()


def docx_with_many_entries() -> bytes:
    entries = {"[Content_Types].xml": b"<Types/>"}
    entries.update({f"word/media/{index}.xml": b"" for index in range(10_001)})
    return zip_bytes(entries)


def many_fields_body() -> bytes:
    fields = {f"extra{index}": "x" for index in range(120)}
    return multipart_body("notes.txt", SAMPLE_TEXT.encode(), fields)


def invalid_utf8_field_body() -> bytes:
    body = multipart_body("notes.txt", SAMPLE_TEXT.encode(), {"language": "LANG"})
    return body.replace(b"LANG", b"\xff\xfe")


async def send_refresh_without_cookie(api: Api, token: str) -> aiohttp.ClientResponse:
    api.client.session.cookie_jar.clear()
    return await api.client.post("/api/auth/refresh")


async def login_with(api: Api, body: bytes) -> aiohttp.ClientResponse:
    return await api.client.post(
        "/api/auth/login", data=body, headers={"Content-Type": "application/json"}
    )


CASES = [
    # Tokens.
    Case("no-token", upload_with_headers(lambda token: {}), 401, "AUTH_INVALID", "sign in"),
    Case(
        "garbage-token",
        upload_with_headers(lambda token: {"Authorization": "Bearer not-a-token"}),
        401, "AUTH_INVALID", "sign in",
    ),
    Case(
        "basic-scheme",
        upload_with_headers(lambda token: {"Authorization": f"Basic {token}"}),
        401, "AUTH_INVALID", "sign in",
    ),
    Case(
        "tampered-token",
        upload_with_headers(lambda token: bearer(token[:-4] + "AAAA")),
        401, "AUTH_INVALID", "sign in",
    ),
    Case("expired-token", send_expired_token, 401, "AUTH_EXPIRED", "expired"),
    Case(
        "huge-authorization-header",
        upload_with_headers(lambda token: {"Authorization": "Bearer " + "A" * 7000}),
        401, "AUTH_INVALID", "sign in",
    ),
    Case(
        "idempotency-key-too-long",
        upload_with_headers(lambda token: {**bearer(token), "Idempotency-Key": "k" * 5000}),
        400, "BAD_REQUEST", "Idempotency-Key",
    ),
    Case(
        "idempotency-key-with-spaces",
        upload_with_headers(lambda token: {**bearer(token), "Idempotency-Key": "a b"}),
        400, "BAD_REQUEST", "Idempotency-Key",
    ),
    # The multipart form.
    Case(
        "not-multipart",
        post_upload(b"plain text", {"Content-Type": "text/plain"}),
        400, "BAD_REQUEST", "multipart/form-data",
    ),
    Case(
        "multipart-without-boundary",
        post_upload(b"--x\r\n", {"Content-Type": "multipart/form-data"}),
        400, "BAD_REQUEST", "boundary",
    ),
    Case(
        "multipart-wrong-boundary",
        post_upload(b"--other\r\nno headers\r\n", {"Content-Type": "multipart/form-data; boundary=expected"}),
        400, "BAD_REQUEST", "not valid multipart",
    ),
    Case(
        "multipart-cut-short",
        post_upload(
            multipart_body("notes.txt", SAMPLE_TEXT.encode(), {})[:-40],
            {"Content-Type": MULTIPART},
        ),
        400, "BAD_REQUEST", "multipart",
    ),
    Case(
        "missing-file-field",
        post_upload(
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="mode"\r\n\r\n'
            f"standard\r\n--{BOUNDARY}--\r\n".encode(),
            {"Content-Type": MULTIPART},
        ),
        400, "BAD_REQUEST", "no 'file' field",
    ),
    Case("too-many-fields", post_upload(many_fields_body(), {"Content-Type": MULTIPART}), 400, "BAD_REQUEST", "more than 100 fields"),
    Case("field-not-utf8", post_upload(invalid_utf8_field_body(), {"Content-Type": MULTIPART}), 400, "BAD_REQUEST", "not valid UTF-8"),
    Case("field-too-long", upload_as("notes.txt", SAMPLE_TEXT.encode(), freeze="w" * 70_000), 400, "BAD_REQUEST", "longer than"),
    Case("mode-unknown", upload_as("notes.txt", SAMPLE_TEXT.encode(), mode="shout"), 400, "BAD_REQUEST", "Field 'mode' must be one of"),
    Case("synonym-out-of-range", upload_as("notes.txt", SAMPLE_TEXT.encode(), synonym="101"), 400, "BAD_REQUEST", "from 0 to 100"),
    Case("synonym-not-a-number", upload_as("notes.txt", SAMPLE_TEXT.encode(), synonym="lots"), 400, "BAD_REQUEST", "whole number"),
    Case("language-unknown", upload_as("notes.txt", SAMPLE_TEXT.encode(), language="xx"), 400, "BAD_REQUEST", "not supported"),
    # The file.
    Case("empty-file", upload_as("empty.txt", b""), 400, "BAD_REQUEST", "is empty"),
    Case("over-size-limit", upload_as("big.txt", b"a" * (256 * 1024 + 1)), 413, "FILE_TOO_LARGE", "larger than the limit"),
    Case("extension-not-accepted", upload_as("tool.exe", b"MZ\x90\x00" * 100), 415, "UNSUPPORTED_TYPE", ".exe"),
    Case("png-named-txt", upload_as("photo.txt", PNG_BYTES), 415, "UNSUPPORTED_TYPE", "not text"),
    Case("text-named-docx", upload_as("letter.docx", SAMPLE_TEXT.encode()), 422, "UNREADABLE_FILE", "not a valid .docx"),
    Case("zip-without-word-parts", upload_as("archive.docx", zip_bytes({"a.txt": b"hello"})), 422, "UNREADABLE_FILE", ".docx"),
    Case("docx-bomb-1-gib", upload_big_as("bomb.docx", docx_bomb), 422, "UNREADABLE_FILE", "unpacks too large"),
    Case("docx-with-10001-entries", upload_big_as("crowded.docx", docx_with_many_entries), 422, "UNREADABLE_FILE", "at most 10000"),
    Case("binary-nul-bytes-in-md", upload_as("notes.md", b"# Title\n\0\0\0\0binary"), 415, "UNSUPPORTED_TYPE", "not text"),
    # Sign-in.
    Case("login-not-json", lambda api, token: login_with(api, b"{user"), 400, "BAD_REQUEST", '"username" and "password"'),
    Case("login-missing-password", lambda api, token: login_with(api, b'{"username": "demo"}'), 400, "BAD_REQUEST", '"username" and "password"'),
    Case("login-wrong-password", lambda api, token: login_with(api, b'{"username": "demo", "password": "nope"}'), 401, "INVALID_CREDENTIALS", "wrong"),
    Case("refresh-without-cookie", send_refresh_without_cookie, 401, "REFRESH_INVALID", "sign in"),
    Case("history-bad-token", lambda api, token: api.client.get("/p-v2/api/files/history", headers=bearer("x")), 401, "AUTH_INVALID", "sign in"),
    Case("download-unknown-id", lambda api, token: api.client.get("/p-v2/api/files/download/" + "0" * 32, headers=bearer(token)), 404, "NOT_FOUND", ""),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_bad_request_clear_error(api: Api, token: str, case: Case):
    response = await case.send(api, token)

    assert response.status == case.status, await response.text()
    body = await response.json()
    error = body["error"]
    assert error["code"] == case.code
    assert case.message.lower() in error["message"].lower()
    assert error["message"].endswith("."), error["message"]
    assert temp_files(api) == []

    fresh_token = await api.login()
    good = await api.upload(fresh_token, "after.txt")
    assert good.status == 200, await good.text()


async def test_header_over_parser_limit(api: Api, token: str):
    # aiohttp's HTTP parser rejects a header line over 8190 bytes before any
    # handler or middleware runs, so this one 400 has a plain-text body.
    send = upload_with_headers(lambda token: {**bearer(token), "X-Padding": "p" * 20_000})

    response = await send(api, token)

    assert response.status == 400
    assert "8190 bytes" in await response.text()
    good = await api.upload(token, "after.txt")
    assert good.status == 200


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.txt", "..\\..\\win.ini.txt", "/abs/notes.txt", "a/../../b.txt"]
)
async def test_traversal_name_stays_inside(api: Api, token: str, name: str):
    response = await api.upload(token, name)

    assert response.status == 200
    stored = list(api.settings.data_dir.rglob("*.txt"))
    for path in stored:
        assert path.resolve().is_relative_to(api.settings.data_dir.resolve())
    outside = api.settings.data_dir.parent
    assert not (outside / "etc").exists()
    assert not (outside / "abs").exists()
