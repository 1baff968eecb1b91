"""The static site allowlist, content types, caching and health check."""

from __future__ import annotations

import asyncio

import pytest

from tests.server.support import Api


@pytest.mark.parametrize(
    ("path", "content_type", "cache_control"),
    [
        ("/", "text/html", "no-cache"),
        ("/index.html", "text/html", "no-cache"),
        ("/pyscript.toml", "text/plain", "no-cache"),
        ("/app/queue.py", "text/x-python", "no-cache"),
        ("/assets/style.css", "text/css", "no-cache"),
        ("/runtime/pyodide.mjs", "text/javascript", "public, max-age=3600"),
        ("/runtime/pyodide.asm.wasm", "application/wasm", "public, max-age=3600"),
        ("/runtime/packages.zip", "application/zip", "public, max-age=3600"),
    ],
)
async def test_static_allowed_file(
    api: Api, path: str, content_type: str, cache_control: str
):
    response = await api.client.get(path)

    assert response.status == 200
    assert response.headers["Content-Type"].split(";")[0] == content_type
    assert response.headers["Cache-Control"] == cache_control


async def test_static_index_body(api: Api):
    response = await api.client.get("/")

    assert "<title>Uploader</title>" in await response.text()


async def test_static_config_json_when_present(api: Api):
    missing = await api.client.get("/config.json")
    (api.settings.site_dir / "config.json").write_text('{"apiBase": ""}')
    present = await api.client.get("/config.json")

    assert missing.status == 404
    assert present.status == 200
    assert present.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize(
    "path",
    [
        "/server/secret.py",
        "/.env",
        "/app/notes.txt",
        "/app/../server/secret.py",
        "/app/..%2Fserver%2Fsecret.py",
        "/assets/%2E%2E/server/secret.py",
        "/runtime/..%5C..%5Cserver%5Csecret.py",
        "/data/server.sqlite3",
        "/tests/conftest.py",
        "/app/",
        "/assets/.hidden",
    ],
)
async def test_static_rejects_path(api: Api, path: str):
    response = await api.client.get(path)

    assert response.status == 404
    assert (await response.json())["error"]["code"] == "NOT_FOUND"


async def test_static_raw_traversal_request(api: Api):
    """Send a request line with '..' that no client would normalize away."""
    reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
    writer.write(
        b"GET /app/../../site/server/secret.py HTTP/1.1\r\n"
        b"Host: localhost\r\nConnection: close\r\n\r\n"
    )
    await writer.drain()
    reply = await asyncio.wait_for(reader.read(), timeout=5)
    writer.close()

    assert b"SECRET" not in reply
    assert reply.startswith(b"HTTP/1.1 404")


async def test_health(api: Api):
    response = await api.client.get("/api/health")

    assert response.status == 200
    assert await response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


async def test_unknown_api_path_json_404(api: Api):
    response = await api.client.get("/api/nothing-here")

    assert response.status == 404
    error = (await response.json())["error"]
    assert error["code"] == "NOT_FOUND"
    assert "/api/nothing-here" in error["message"]


async def test_wrong_method_json_405(api: Api):
    response = await api.client.get("/p-v2/api/files/file-paraphrase")

    assert response.status == 405
    assert (await response.json())["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in response.headers["Allow"]


async def test_static_page_has_strict_csp(api: Api):
    response = await api.client.get("/")

    policy = response.headers["Content-Security-Policy"]
    directives = dict(item.strip().split(" ", 1) for item in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert "'unsafe-inline'" not in policy
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval' 'unsafe-eval'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


async def test_static_csp_allows_configured_api(api: Api):
    config = api.settings.site_dir / "config.json"
    config.write_text('{"apiBaseUrl": "https://api.example.com/v2"}')

    response = await api.client.get("/index.html")

    assert "connect-src 'self' https://api.example.com;" in response.headers[
        "Content-Security-Policy"
    ]


async def test_static_csp_ignores_broken_config(api: Api):
    (api.settings.site_dir / "config.json").write_text("{not json")

    response = await api.client.get("/")

    assert response.status == 200
    assert "connect-src 'self';" in response.headers["Content-Security-Policy"]


async def test_static_hashed_files_cached_for_a_year(api: Api):
    site = api.settings.site_dir
    (site / "pyscript.0123456789abcdef.toml").write_text('name = "uploader"\n')
    (site / "app" / "queue.0123456789abcdef.py").write_text("QUEUE = []\n")
    (site / "runtime" / "0123456789abcdef").mkdir()
    (site / "runtime" / "0123456789abcdef" / "pyodide.mjs").write_text("export {};\n")

    for path in (
        "/pyscript.0123456789abcdef.toml",
        "/app/queue.0123456789abcdef.py",
        "/runtime/0123456789abcdef/pyodide.mjs",
    ):
        response = await api.client.get(path)
        assert response.status == 200, path
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


async def test_static_unhashed_toml_name_not_served(api: Api):
    (api.settings.site_dir / "pyscript.old.toml").write_text('name = "uploader"\n')

    response = await api.client.get("/pyscript.old.toml")

    assert response.status == 404


async def test_static_revalidation_answers_304(api: Api):
    first = await api.client.get("/assets/style.css")
    etag = first.headers["ETag"]

    second = await api.client.get("/assets/style.css", headers={"If-None-Match": etag})

    assert second.status == 304
    assert await second.read() == b""
