"""JSON error responses.

Every error the API sends has the body
``{"error": {"code": "UPPER_SNAKE_CODE", "message": "A sentence."}}``. Handlers
raise `ApiError`; the error middleware in `server.app` turns it into that body.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from aiohttp import web

__all__ = ["ApiError", "code_for_status", "error_response"]

# Codes the API uses for these statuses; any other status gets the upper-snake
# form of its reason phrase, so 503 becomes SERVICE_UNAVAILABLE.
_CODES_BY_STATUS = {
    400: "BAD_REQUEST",
    401: "AUTH_INVALID",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "FILE_TOO_LARGE",
    415: "UNSUPPORTED_TYPE",
    422: "UNREADABLE_FILE",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
}


class ApiError(Exception):
    """An error sent to the client as `status` with a JSON body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BAD_REQUEST", message)

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, "NOT_FOUND", message)

    def to_response(self) -> web.Response:
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    """Build a JSON error response that no cache stores."""
    response = web.json_response(
        {"error": {"code": code, "message": message}},
        status=status,
        headers=headers,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def code_for_status(status: int) -> str:
    """Return the error code the API uses for an HTTP status."""
    if status in _CODES_BY_STATUS:
        return _CODES_BY_STATUS[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP_{status}"
    return phrase.upper().replace(" ", "_").replace("-", "_").replace("'", "")
