"""Cross-origin access to the API for pages served from other origins.

With ``--allow-origin ORIGIN`` (repeatable) a page on ORIGIN may call the API
with credentials, so the browser sends the refresh cookie on sign-in calls.
The page may also read the responses and the headers it needs: the processed
file's name in ``Content-Disposition``, ``Retry-After`` and ``X-File-Id``.
Origins are matched exactly. A wildcard is rejected because browsers refuse ``*`` on
requests with credentials.

Only API paths get these headers; the static site does not need them. Every
API response carries ``Vary: Origin`` while an allowlist is set, because its
CORS headers depend on the request's ``Origin``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from aiohttp import web

from .errors import error_response
from .services import services_of

__all__ = ["add_cors_headers", "handle_preflight", "normalize_origin"]

API_PATH_PREFIXES = ("/api/", "/p-v2/")
ALLOWED_METHODS = ("GET", "POST")
ALLOWED_HEADERS = ("Accept", "Authorization", "Content-Type", "Idempotency-Key")
EXPOSED_HEADERS = ("Content-Disposition", "Retry-After", "X-File-Id")
# Seconds a browser may reuse a preflight result.
PREFLIGHT_MAX_AGE = 600


def normalize_origin(text: str) -> str:
    """Return `text` as a serialized origin such as ``https://app.example.com``.

    Raises ValueError with a message naming the problem when `text` is not a
    plain ``scheme://host[:port]``.
    """
    value = text.strip()
    if value == "*":
        raise ValueError(
            "'*' is not allowed: browsers reject a wildcard origin on requests "
            "with credentials. Give each site origin, such as https://app.example.com."
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{text!r} is not an origin; write it as scheme://host[:port], "
            "such as https://app.example.com."
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(
            f"{text!r} has a path, query or user name; an origin is only "
            "scheme://host[:port], such as https://app.example.com."
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{text!r} has an invalid port.") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    if port is None or port == default_port:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def is_api_path(path: str) -> bool:
    return path.startswith(API_PATH_PREFIXES)


@web.middleware
async def handle_preflight(
    request: web.Request, handler: web.RequestHandler
) -> web.StreamResponse:
    """Respond to CORS preflight requests to API paths before routing."""
    is_preflight = (
        request.method == "OPTIONS"
        and "Origin" in request.headers
        and "Access-Control-Request-Method" in request.headers
    )
    if not is_preflight or not is_api_path(request.path):
        return await handler(request)

    origin = request.headers["Origin"]
    if origin not in services_of(request).settings.allow_origins:
        return error_response(
            403,
            "ORIGIN_NOT_ALLOWED",
            f"Requests from {origin} are not allowed. Start the server with "
            f"--allow-origin {origin} to allow them.",
        )
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": ", ".join(ALLOWED_METHODS),
            "Access-Control-Allow-Headers": ", ".join(ALLOWED_HEADERS),
            "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE),
            "Cache-Control": "no-store",
        },
    )


async def add_cors_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Add CORS headers to an API response just before its headers are sent.

    This is a response signal, not a middleware, so that error responses and
    responses a handler prepares itself get the headers too.
    """
    allowed = services_of(request).settings.allow_origins
    if not allowed or not is_api_path(request.path):
        return
    _add_vary(response, "Origin")
    origin = request.headers.get("Origin")
    if origin is None or origin not in allowed:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    if request.method != "OPTIONS":
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)


def _add_vary(response: web.StreamResponse, name: str) -> None:
    present = _split_header(response.headers.getall("Vary", []))
    if name.lower() not in {item.lower() for item in present}:
        response.headers["Vary"] = ", ".join([*present, name])


def _split_header(values: Iterable[str]) -> list[str]:
    return [
        item.strip() for value in values for item in value.split(",") if item.strip()
    ]
