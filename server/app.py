"""The aiohttp application: routes, middlewares and start-up.

``create_app(settings)`` builds everything from the settings: the data
folder, the SQLite database, the demo user, the API routes, the test controls
(only with ``settings.test_controls``) and the static site.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from aiohttp import web

from . import auth, cors, history, static, test_controls, uploads
from .auth_tokens import TokenService
from .body import ConnectionDropped
from .db import Database
from .errors import ApiError, code_for_status, error_response
from .services import SERVICES, Services
from .settings import LiveConfig, Settings

__all__ = ["create_app"]

log = logging.getLogger("server")

DATABASE_NAME = "server.sqlite3"

health_routes = web.RouteTableDef()


@health_routes.get("/api/health")
async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"}, headers={"Cache-Control": "no-store"})


def create_app(
    settings: Settings, *, clock: Callable[[], float] = time.time
) -> web.Application:
    """Build the application; `clock` gives the time used for token expiry."""
    services = _create_services(settings, clock)
    middlewares = [cors.handle_preflight, handle_errors, uploads.track_uploads]
    if settings.test_controls:
        middlewares.append(test_controls.apply_faults)
    app = web.Application(middlewares=middlewares)
    app[SERVICES] = services
    app.on_response_prepare.append(cors.add_cors_headers)

    app.add_routes(health_routes)
    app.add_routes(auth.routes)
    app.add_routes(uploads.routes)
    app.add_routes(history.routes)
    if settings.test_controls:
        app.add_routes(test_controls.routes)
        app.on_response_prepare.append(test_controls.close_connection)
    app.add_routes(static.routes)
    app.on_cleanup.append(_close_database)
    return app


def _create_services(settings: Settings, clock: Callable[[], float]) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.data_dir / DATABASE_NAME)
    config = LiveConfig.from_settings(settings)
    tokens = TokenService(db, config, clock)
    tokens.set_password(settings.demo_user, settings.demo_password)

    services = Services(settings, config, db, tokens, clock)
    services.temp_dir.mkdir(exist_ok=True)
    services.results_dir.mkdir(exist_ok=True)
    return services


async def _close_database(app: web.Application) -> None:
    app[SERVICES].db.close()


@web.middleware
async def handle_errors(
    request: web.Request, handler: web.RequestHandler
) -> web.StreamResponse:
    """Turn every error into a JSON error response and log each request once."""
    started = time.monotonic()
    note = None
    try:
        response = await handler(request)
    except ApiError as error:
        response = error.to_response()
        note = error.code
    except web.HTTPException as error:
        if error.status < 400:
            raise
        response = _http_error_response(request, error)
        note = error.reason
    except ConnectionDropped as error:
        _log_request(request, "aborted", started, str(error))
        return web.Response()
    except ConnectionError as error:
        _log_request(request, "client closed", started, type(error).__name__)
        return web.Response()
    except Exception:
        log.exception("unexpected error in %s %s", request.method, request.path)
        response = error_response(
            500,
            "INTERNAL_ERROR",
            "The server failed to handle the request. Try again; if it keeps"
            " failing, check the server log.",
        )

    note = note or request.get(uploads.LOG_NOTE)
    _log_request(request, response.status, started, note)
    return response


def _http_error_response(
    request: web.Request, error: web.HTTPException
) -> web.Response:
    headers = {}
    if error.status == 404:
        message = f"Nothing is served at {request.path}. Check the address."
    elif error.status == 405:
        allowed = error.headers.get("Allow", "")
        headers["Allow"] = allowed
        message = f"{request.method} is not allowed on {request.path}; use {allowed}."
    else:
        message = f"{error.reason}: {error.text.strip()}"
    return error_response(error.status, code_for_status(error.status), message, headers)


def _log_request(
    request: web.Request, outcome: int | str, started: float, note: str | None
) -> None:
    elapsed = time.monotonic() - started
    suffix = f" ({note})" if note else ""
    log.info(
        "%s %s %s in %.3f s%s", request.method, request.path, outcome, elapsed, suffix
    )
