"""Helpers for the server tests: a fake clock and a client with shortcuts."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import aiohttp
from aiohttp.test_utils import TestClient

from server import Settings
from server.services import SERVICES

UPLOAD_PATH = "/p-v2/api/files/file-paraphrase"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo-password"
SAMPLE_TEXT = (
    "The quick brown fox jumps over the lazy dog. "
    "Careful engineers write small functions and clear tests.\n"
)


BOUNDARY = "----server-test-boundary"


def multipart_body(
    file_name: str, content: bytes, fields: dict[str, str | list[str]]
) -> bytes:
    """Encode a form the way browsers do: the file name as raw UTF-8 bytes.

    Browsers write a double quote as %22 and CR and LF as %0D and %0A, and
    leave every other character of the name as it is.
    """
    parts = []
    for field_name, value in fields.items():
        for item in [value] if isinstance(value, str) else value:
            parts.append(
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field_name}"'
                f"\r\n\r\n{item}\r\n".encode()
            )
    quoted = file_name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file";'
        f' filename="{quoted}"\r\nContent-Type: application/octet-stream'
        "\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


async def open_raw_upload(
    api: Api, token: str, body: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send only the request head of an upload over a plain TCP connection."""
    head = (
        f"POST {UPLOAD_PATH} HTTP/1.1\r\nHost: localhost\r\n"
        f"Authorization: Bearer {token}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
    writer.write(head)
    return reader, writer


class FakeClock:
    """Wall-clock time that moves only when a test calls `advance`."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Api:
    """A test client with shortcuts for signing in and uploading."""

    client: TestClient
    clock: FakeClock
    settings: Settings

    async def login(
        self, username: str = DEMO_USER, password: str = DEMO_PASSWORD
    ) -> str:
        response = await self.client.post(
            "/api/auth/login", json={"username": username, "password": password}
        )
        assert response.status == 200, await response.text()
        return (await response.json())["accessToken"]

    async def upload(
        self,
        token: str | None,
        name: str = "notes.txt",
        content: bytes = SAMPLE_TEXT.encode(),
        *,
        key: str | None = None,
        fields: dict[str, str | list[str]] | None = None,
    ) -> aiohttp.ClientResponse:
        headers = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        body = multipart_body(name, content, fields or {})
        return await self.client.post(UPLOAD_PATH, data=body, headers=headers)

    async def stats(self) -> dict[str, int]:
        response = await self.client.get("/__test__/stats")
        assert response.status == 200
        return await response.json()

    async def add_faults(self, *rules: dict) -> None:
        response = await self.client.post("/__test__/faults", json={"rules": rules})
        assert response.status == 200, await response.text()


def temp_files(api: Api) -> list[Path]:
    return list((api.settings.data_dir / "tmp").iterdir())


def download_name(response: aiohttp.ClientResponse) -> str:
    disposition = response.headers["Content-Disposition"]
    match = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    assert match, disposition
    return unquote(match.group(1))


async def error_of(response: aiohttp.ClientResponse) -> dict[str, str]:
    return (await response.json())["error"]


async def history(api: Api, token: str) -> list[dict]:
    response = await api.client.get(
        "/p-v2/api/files/history", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    return (await response.json())["files"]


async def add_user(api: Api, username: str, password: str) -> str:
    api.client.server.app[SERVICES].tokens.set_password(username, password)
    return await api.login(username, password)
