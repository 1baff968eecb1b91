"""The browser app's files, served from the site folder by an allowlist.

Only these paths are served: ``/`` and ``/index.html``, ``/pyscript.toml``
(or its content-hashed name from ``make dist``, ``/pyscript.HASH.toml``),
``/config.json``, ``.py`` files under ``/app/``, and any file under
``/assets/`` and ``/runtime/``. Everything else in the site folder (the
server, its data, tests, dotfiles) returns 404. Path segments that are empty,
``.``, ``..`` or start with a dot are rejected, so a request cannot leave
those folders. Symbolic links inside them are followed, because the runtime
folder may link to installed packages.

The page gets the Content-Security-Policy of `server.csp`. Files whose path
contains a content hash, as ``make dist`` writes them, may be cached for a
year. Everything else is revalidated: every file response has an ETag, so
an unchanged file costs a 304 without a body.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import re
from pathlib import Path

from aiohttp import web

from .csp import api_origin, content_security_policy
from .errors import ApiError
from .services import services_of

__all__ = ["content_type_for", "routes"]

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".toml": "text/plain; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".wasm": "application/wasm",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".tar": "application/x-tar",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}
_NO_CACHE = "no-cache"
# The runtime folder contains versioned Pyodide files that do not change in place.
_RUNTIME_CACHE = "public, max-age=3600"
# Files whose name changes with their content never change in place.
_IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
# A content hash as `make dist` writes it: 16 hex digits as a whole path
# segment or between dots in a file name.
_CONTENT_HASH = re.compile(r"(?:^|[./])[0-9a-f]{16}(?:[./]|$)")

log = logging.getLogger("server")

routes = web.RouteTableDef()


@routes.get("/")
@routes.get("/index.html")
async def index(request: web.Request) -> web.FileResponse:
    response = _serve(request, "index.html")
    response.headers["Content-Security-Policy"] = page_policy(
        services_of(request).settings.site_dir
    )
    return response


@routes.get("/pyscript.toml")
@routes.get(r"/pyscript.{hash:[0-9a-f]{16}}.toml")
@routes.get("/config.json")
async def top_level_file(request: web.Request) -> web.FileResponse:
    return _serve(request, request.path.lstrip("/"))


@routes.get("/app/{path:.+}")
async def app_module(request: web.Request) -> web.FileResponse:
    path = request.match_info["path"]
    if not path.endswith(".py"):
        raise _not_found(request)
    return _serve(request, "app/" + path)


@routes.get("/assets/{path:.+}")
async def asset(request: web.Request) -> web.FileResponse:
    return _serve(request, "assets/" + request.match_info["path"])


@routes.get("/runtime/{path:.+}")
async def runtime_file(request: web.Request) -> web.FileResponse:
    return _serve(
        request, "runtime/" + request.match_info["path"], cache=_RUNTIME_CACHE
    )


def page_policy(site_dir: Path) -> str:
    """Return the page's CSP; it allows the API origin named in config.json."""
    try:
        values = json.loads((site_dir / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        values = {}
    except (OSError, ValueError) as error:
        # The page shows the configuration error itself; the policy falls
        # back to the page's own origin.
        log.warning("config.json could not be read for the CSP: %s", error)
        values = {}
    origin = api_origin(values.get("apiBaseUrl")) if isinstance(values, dict) else None
    return content_security_policy(connect_sources=[origin] if origin else [])


def content_type_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _serve(
    request: web.Request, relative: str, *, cache: str = _NO_CACHE
) -> web.FileResponse:
    segments = relative.split("/")
    if any(_is_unsafe_segment(segment) for segment in segments):
        raise _not_found(request)
    path = services_of(request).settings.site_dir.joinpath(*segments)
    if not path.is_file():
        raise _not_found(request)
    if _CONTENT_HASH.search(relative):
        cache = _IMMUTABLE_CACHE

    return web.FileResponse(
        path,
        headers={"Content-Type": content_type_for(path), "Cache-Control": cache},
    )


def _is_unsafe_segment(segment: str) -> bool:
    return (
        not segment
        or segment.startswith(".")
        or "\\" in segment
        or any(ord(char) < 32 for char in segment)
    )


def _not_found(request: web.Request) -> ApiError:
    return ApiError.not_found(f"Nothing is served at {request.path}.")
