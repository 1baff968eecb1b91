"""The browser app's files, served from the site folder by an allowlist.

Only these paths are served: ``/`` and ``/index.html``, ``/pyscript.toml``,
``/config.json``, ``.py`` files under ``/app/``, and any file under
``/assets/`` and ``/runtime/``. With ``--bench-peers DIR``, any file under
``DIR`` is also served at ``/bench/``. Everything else in the site folder (the
server, its data, tests, dotfiles) returns 404. Path segments that are empty,
``.``, ``..`` or start with a dot are rejected, so a request cannot leave
those folders. Symbolic links inside them are followed, because the runtime
folder may link to installed packages.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from aiohttp import web

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

routes = web.RouteTableDef()


@routes.get("/")
@routes.get("/index.html")
async def index(request: web.Request) -> web.FileResponse:
    return _serve(request, "index.html")


@routes.get("/pyscript.toml")
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


@routes.get("/bench/{path:.+}")
async def bench_peer_file(request: web.Request) -> web.FileResponse:
    folder = services_of(request).settings.bench_peers_dir
    if folder is None:
        raise _not_found(request)
    return _serve(request, request.match_info["path"], folder=folder)


def content_type_for(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def _serve(
    request: web.Request,
    relative: str,
    *,
    cache: str = _NO_CACHE,
    folder: Path | None = None,
) -> web.FileResponse:
    """Serve `relative` from `folder`, by default the site folder."""
    segments = relative.split("/")
    if any(_is_unsafe_segment(segment) for segment in segments):
        raise _not_found(request)
    base = folder if folder is not None else services_of(request).settings.site_dir
    path = base.joinpath(*segments)
    if not path.is_file():
        raise _not_found(request)

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
