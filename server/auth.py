"""Sign-in endpoints under /api/auth and the Bearer check for the file API.

The refresh token travels only in an HttpOnly cookie scoped to /api/auth. The
access token is returned in the JSON body, and the page keeps it in memory.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from .auth_tokens import IssuedTokens, TokenError
from .errors import ApiError, error_response
from .services import services_of

__all__ = ["REFRESH_COOKIE", "authenticate", "routes"]

REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/api/auth"

routes = web.RouteTableDef()
log = logging.getLogger(__name__)


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    services = services_of(request)
    services.stats.login_calls += 1

    username, password = await _read_credentials(request)
    # NOTE: behind a reverse proxy every client has the proxy's address, so
    # the per-address limit then applies to all clients together.
    address = request.remote or "unknown"
    limiter = services.login_limiter
    wait = limiter.retry_after(address, username, services.clock())
    if wait is not None:
        log.warning("Sign-in rate limited for %r from %s for %d s", username, address, wait)
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Too many failed sign-in attempts. Wait {wait} seconds and try again.",
            headers={"Retry-After": str(wait)},
        )

    user_id = await services.tokens.check_password(username, password)
    if user_id is None:
        limiter.record_failure(address, username, services.clock())
        raise ApiError(
            401,
            "INVALID_CREDENTIALS",
            "The username or password is wrong. Check both and sign in again.",
        )

    limiter.record_success(username)
    return _tokens_response(request, services.tokens.start_session(user_id))


@routes.post("/api/auth/refresh")
async def refresh(request: web.Request) -> web.Response:
    services = services_of(request)
    services.stats.refresh_calls += 1

    try:
        issued = services.tokens.rotate(request.cookies.get(REFRESH_COOKIE))
    except TokenError as error:
        response = error_response(401, error.code, error.message)
        _clear_refresh_cookie(request, response)
        return response

    return _tokens_response(request, issued)


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    services_of(request).tokens.end_session(request.cookies.get(REFRESH_COOKIE))

    response = web.Response(status=204)
    _clear_refresh_cookie(request, response)
    return response


def authenticate(request: web.Request) -> int:
    """Return the user id of the request's Bearer token or raise a 401."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        token = ""
    try:
        return services_of(request).tokens.user_for_access_token(token.strip())
    except TokenError as error:
        raise ApiError(
            401,
            error.code,
            error.message,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        ) from None


async def _read_credentials(request: web.Request) -> tuple[str, str]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("username"), str)
        or not isinstance(body.get("password"), str)
    ):
        raise ApiError.bad_request(
            'Send a JSON object with "username" and "password" strings.'
        )
    return body["username"], body["password"]


def _tokens_response(request: web.Request, issued: IssuedTokens) -> web.Response:
    response = web.json_response(
        {"accessToken": issued.access_token, "expiresIn": issued.expires_in},
        headers={"Cache-Control": "no-store"},
    )
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=issued.refresh_max_age,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=services_of(request).settings.secure_cookies,
    )
    return response


def _clear_refresh_cookie(request: web.Request, response: web.StreamResponse) -> None:
    response.del_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=services_of(request).settings.secure_cookies,
    )
