"""Errors raised by the uploader, as one tree.

Code decides what to do with a failure from its type and fields, never by
searching its message::

    UploaderError
    ├── UploadError              one upload's request failed (file id, attempt)
    │   ├── TransferError        no HTTP response arrived
    │   │   ├── NetworkError     the connection failed or was closed
    │   │   ├── StallError       no upload progress for the stall timeout
    │   │   └── ProcessingTimeoutError
    │   │                        no response within the processing timeout
    │   ├── HttpError            the server answered with an error status
    │   │   └── AuthError        401: the access token is expired or invalid
    │   ├── UploadCancelled      the user cancelled the upload
    │   └── UploadPaused         the browser went offline during the upload
    ├── ValidationError          a file failed the checks made before upload
    └── ConfigError              a setting is missing or out of range

Messages are sentences a person can act on; the page shows them as text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

__all__ = [
    "AuthError",
    "ConfigError",
    "HttpError",
    "NetworkError",
    "ProcessingTimeoutError",
    "StallError",
    "TransferError",
    "UploadCancelled",
    "UploadError",
    "UploadPaused",
    "UploaderError",
    "ValidationError",
    "parse_error_body",
]

# The longest piece of a non-JSON error body quoted back to the user.
_MAX_QUOTED_BODY = 200


class UploaderError(Exception):
    """Base class of every error the uploader raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UploadError(UploaderError):
    """One upload request failed."""

    def __init__(
        self, message: str, *, file_id: str | None = None, attempt: int | None = None
    ) -> None:
        super().__init__(message)
        self.file_id = file_id
        self.attempt = attempt


class TransferError(UploadError):
    """The request ended without an HTTP response."""


class NetworkError(TransferError):
    """The connection failed, was refused or was closed mid-request."""


class StallError(TransferError):
    """The upload sent no bytes for `stall_timeout` seconds and was aborted."""

    def __init__(self, stall_timeout: float, **context) -> None:
        super().__init__(
            f"The upload made no progress for {stall_timeout:g} seconds "
            "and was stopped.",
            **context,
        )
        self.stall_timeout = stall_timeout


class ProcessingTimeoutError(TransferError):
    """The body was sent but no response came within `processing_timeout`."""

    def __init__(self, processing_timeout: float, **context) -> None:
        super().__init__(
            f"The server did not answer within {processing_timeout:g} seconds "
            "after receiving the file.",
            **context,
        )
        self.processing_timeout = processing_timeout


class HttpError(UploadError):
    """The server answered with a status of 400 or more.

    `code` is the server's error code (`None` when the body was not the
    API's JSON error), and `retry_after` the raw `Retry-After` header.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        retry_after: str | None = None,
        **context,
    ) -> None:
        super().__init__(message, **context)
        self.status = status
        self.code = code
        self.retry_after = retry_after

    @classmethod
    def from_response(
        cls,
        status: int,
        body: str,
        headers: Mapping[str, str] | None = None,
        **context,
    ) -> HttpError:
        """Build the error for a response, choosing `AuthError` for 401."""
        headers = {name.lower(): value for name, value in (headers or {}).items()}
        code, message = parse_error_body(status, body)
        error_class = AuthError if status == 401 else HttpError
        return error_class(
            status,
            message,
            code=code,
            retry_after=headers.get("retry-after"),
            **context,
        )


class AuthError(HttpError):
    """401: the access token was rejected (`AUTH_EXPIRED` or `AUTH_INVALID`)."""

    @property
    def expired(self) -> bool:
        return self.code == "AUTH_EXPIRED"


class UploadCancelled(UploadError):
    """The user cancelled the upload. Never retried."""

    def __init__(self, **context) -> None:
        super().__init__("Upload cancelled.", **context)


class UploadPaused(UploadError):
    """The upload was aborted because the browser went offline.

    It is not a failure and uses no retry attempt.
    """

    def __init__(self, **context) -> None:
        super().__init__("Paused while offline.", **context)


class ValidationError(UploaderError):
    """A file failed a check made before any request was sent."""


class ConfigError(UploaderError):
    """A configuration value is missing, of the wrong type or out of range."""


def parse_error_body(status: int, body: str) -> tuple[str | None, str]:
    """Return the server's error code and a message for an error response.

    The API answers `{"error": {"code": ..., "message": ...}}`; proxies answer
    HTML pages or nothing at all, and those still get a useful message.
    """
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None

    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        message = error.get("message")
        if isinstance(message, str) and message.strip():
            return (code if isinstance(code, str) else None, message.strip())

    return (None, _describe_status(status, body))


def _describe_status(status: int, body: str) -> str:
    description = _STATUS_DESCRIPTIONS.get(status)
    if description is None:
        kind = "server error" if status >= 500 else "error"
        description = f"The server answered with an {kind} (HTTP {status})."
    text = " ".join(body.split()) if body and not body.lstrip().startswith("<") else ""
    if text:
        quoted = text[:_MAX_QUOTED_BODY]
        return f"{description} Server said: {quoted}"
    return description


_STATUS_DESCRIPTIONS = {
    400: "The server rejected the request as invalid (HTTP 400).",
    401: "Your session is not valid. Please sign in again.",
    403: "The server refused access to this upload (HTTP 403).",
    404: "The upload address was not found on the server (HTTP 404).",
    408: "The server timed out waiting for the upload (HTTP 408).",
    413: "The file is larger than the server accepts (HTTP 413).",
    415: "The server does not accept this type of file (HTTP 415).",
    429: "The server is rate limiting uploads (HTTP 429).",
    500: "The server failed with an internal error (HTTP 500).",
    502: "A gateway in front of the server failed (HTTP 502).",
    503: "The server is temporarily unavailable (HTTP 503).",
    504: "A gateway timed out waiting for the server (HTTP 504).",
}
