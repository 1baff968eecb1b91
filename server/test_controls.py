"""Test controls under /__test__/, present only with --test-controls.

They let tests script faults at the HTTP level: reset the server's state,
change live settings, add fault rules, and read request counters. The
`apply_faults` middleware carries out the rules on matching requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from http import HTTPStatus

from aiohttp import web

from .body import BODY_READER, BodyReader, ConnectionDropped, abort_connection
from .errors import ApiError, code_for_status
from .faults import FaultAction, FaultRule, FaultRuleError, parse_rules
from .services import Services, services_of

__all__ = ["TEST_PREFIX", "apply_faults", "close_connection", "routes"]

TEST_PREFIX = "/__test__/"

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

# JSON names of the live settings and the smallest value each accepts.
_CONFIG_MINIMUMS = {
    "readBytesPerSecond": 0,
    "accessTokenTtl": 1,
    "refreshTokenTtl": 1,
    "maxUploadBytes": 1,
}


@routes.post(TEST_PREFIX + "reset")
async def reset(request: web.Request) -> web.Response:
    """Clear rules, counters, processed files and history; restore settings."""
    services = services_of(request)

    services.faults.clear()
    services.stats.reset()
    services.login_limiter.clear()
    services.config.restore(services.settings)
    services.db.delete_all_files()
    shutil.rmtree(services.results_dir, ignore_errors=True)
    services.results_dir.mkdir(parents=True, exist_ok=True)

    return web.json_response({"config": _config_json(services)})


@routes.post(TEST_PREFIX + "config")
async def configure(request: web.Request) -> web.Response:
    services = services_of(request)
    changes = await _read_json(request)
    if not isinstance(changes, dict):
        raise ApiError.bad_request("Send the settings to change as a JSON object.")

    for name, value in changes.items():
        _check_setting(name, value)
    config = services.config
    config.read_bytes_per_second = changes.get(
        "readBytesPerSecond", config.read_bytes_per_second
    )
    config.access_token_ttl = changes.get("accessTokenTtl", config.access_token_ttl)
    config.refresh_token_ttl = changes.get("refreshTokenTtl", config.refresh_token_ttl)
    config.max_upload_bytes = changes.get("maxUploadBytes", config.max_upload_bytes)

    return web.json_response({"config": _config_json(services)})


@routes.post(TEST_PREFIX + "faults")
async def add_faults(request: web.Request) -> web.Response:
    services = services_of(request)
    try:
        rules = parse_rules(await _read_json(request))
    except FaultRuleError as error:
        raise ApiError.bad_request(str(error)) from None

    services.faults.add(rules)
    log.info("added %d fault rules, %d pending", len(rules), len(services.faults))
    return web.json_response({"pendingRules": len(services.faults)})


@routes.get(TEST_PREFIX + "stats")
async def stats(request: web.Request) -> web.Response:
    return web.json_response(
        services_of(request).stats.to_json(), headers={"Cache-Control": "no-store"}
    )


@web.middleware
async def apply_faults(
    request: web.Request, handler: web.RequestHandler
) -> web.StreamResponse:
    """Apply the first pending fault rule whose path prefixes the request's."""
    services = services_of(request)
    if request.path.startswith(TEST_PREFIX):
        return await handler(request)
    rule = services.faults.take(request.path)
    body = request[BODY_READER] = BodyReader(request, services.config, rule)
    if rule is None:
        return await handler(request)

    services.stats.faults_applied += 1
    log.info(
        "applying fault %s to %s %s", rule.action.value, request.method, request.path
    )
    await _before_handler(request, services, rule, body)
    try:
        response = await handler(request)
    except ApiError as error:
        response = error.to_response()
    return await _after_handler(request, rule, response)


async def close_connection(request: web.Request, response: web.StreamResponse) -> None:
    """Send every response with `Connection: close` while test controls are on.

    Chromium sends a request again, unseen by the page, when a reused
    keep-alive connection is reset before any response arrives. Without reused
    connections, a dropped connection reaches the page as a network error.
    """
    # aiohttp 3.14 sets the Connection header before this signal, so set it again.
    response.force_close()
    response.headers["Connection"] = "close"


async def _before_handler(
    request: web.Request, services: Services, rule: FaultRule, body: BodyReader
) -> None:
    streams_body = getattr(request.match_info.handler, "streams_body", False)
    action = rule.action
    if action is FaultAction.STATUS:
        await body.drain(services.config.drain_limit)
        raise _status_error(rule)
    if action is FaultAction.EXPIRE_TOKEN:
        await body.drain(services.config.drain_limit)
        raise ApiError(
            401,
            "AUTH_EXPIRED",
            "The access token has expired. Get a new one from /api/auth/refresh"
            " and send the request again.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    # A handler that reads its body through BodyReader meets drop and stall
    # while it reads; other handlers meet them here, before they run.
    if action is FaultAction.DROP and not streams_body:
        await body.drain(rule.after_bytes)
        _drop(request, "after the request body")
    if action is FaultAction.STALL and not streams_body:
        await asyncio.sleep(rule.seconds)


async def _after_handler(
    request: web.Request, rule: FaultRule, response: web.StreamResponse
) -> web.StreamResponse:
    if rule.action is FaultAction.DELAY:
        await asyncio.sleep(rule.seconds)
    if rule.action is FaultAction.DROP_RESPONSE:
        _drop(request, "instead of the response")
    if rule.action is FaultAction.DROP:
        # The handler returned before it read `after_bytes` body bytes.
        _drop(request, "before the response")
    return response


def _drop(request: web.Request, when: str) -> None:
    abort_connection(request)
    raise ConnectionDropped(f"connection aborted {when} by a fault rule")


def _status_error(rule: FaultRule) -> ApiError:
    headers = {}
    if rule.retry_after is not None:
        headers["Retry-After"] = str(rule.retry_after)
    try:
        reason = HTTPStatus(rule.status).phrase
    except ValueError:
        reason = "Error"
    return ApiError(
        rule.status,
        code_for_status(rule.status),
        f"The server responded {rule.status} {reason} because a test fault rule"
        " asked for it. Send the request again.",
        headers=headers,
    )


def _check_setting(name: str, value: object) -> None:
    if name not in _CONFIG_MINIMUMS:
        allowed = ", ".join(_CONFIG_MINIMUMS)
        raise ApiError.bad_request(f"Unknown setting {name!r}; use any of {allowed}.")
    minimum = _CONFIG_MINIMUMS[name]
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ApiError.bad_request(f"{name} must be an integer >= {minimum}.")


def _config_json(services: Services) -> dict[str, int]:
    config = services.config
    return {
        "readBytesPerSecond": config.read_bytes_per_second,
        "accessTokenTtl": config.access_token_ttl,
        "refreshTokenTtl": config.refresh_token_ttl,
        "maxUploadBytes": config.max_upload_bytes,
    }


async def _read_json(request: web.Request) -> object:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ApiError.bad_request("The request body is not valid JSON.") from None
