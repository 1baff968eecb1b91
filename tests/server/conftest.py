"""Fixtures for the reference server: a real app on a loopback port per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from server import Settings, create_app
from tests.server.support import DEMO_PASSWORD, DEMO_USER, Api, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A site folder with the allowed files and some that must stay private."""
    site = tmp_path / "site"
    (site / "app").mkdir(parents=True)
    (site / "assets").mkdir()
    (site / "runtime").mkdir()
    (site / "server").mkdir()
    (site / "index.html").write_text("<!doctype html><title>Uploader</title>")
    (site / "pyscript.toml").write_text('name = "uploader"\n')
    (site / "app" / "queue.py").write_text("QUEUE = []\n")
    (site / "app" / "notes.txt").write_text("not a module\n")
    (site / "assets" / "style.css").write_text("body { margin: 0; }\n")
    (site / "runtime" / "pyodide.mjs").write_text("export {};\n")
    (site / "runtime" / "pyodide.asm.wasm").write_bytes(b"\0asm\1\0\0\0")
    (site / "runtime" / "packages.zip").write_bytes(b"PK\5\6" + b"\0" * 18)
    (site / "server" / "secret.py").write_text("SECRET = 1\n")
    (site / ".env").write_text("SECRET=1\n")
    return site


@pytest.fixture
def settings(tmp_path: Path, site_dir: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        site_dir=site_dir,
        test_controls=True,
        demo_user=DEMO_USER,
        demo_password=DEMO_PASSWORD,
        max_upload_bytes=256 * 1024,
    )


@pytest.fixture
async def api(aiohttp_client, settings: Settings, clock: FakeClock) -> Api:
    client = await aiohttp_client(create_app(settings, clock=clock))
    return Api(client, clock, settings)


@pytest.fixture
async def token(api: Api) -> str:
    return await api.login()
